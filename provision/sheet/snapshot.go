package sheet

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Limits on what is read as a sheet, before it is read: a million rows are
// about 60 MiB.
const (
	maxSheetBytes = 2 << 30
	// SnapshotBlock is the unit in which a file read again is checked.
	SnapshotBlock = 256 << 10
)

// maxPipedSheetBytes bounds a sheet that is not a file (a pipe, process
// substitution, an upload): the plan holds it in memory. A variable only so
// that a short test can lower it; nothing else changes it.
var maxPipedSheetBytes = 256 << 20

// ErrSheetChanged: the sheet is no longer what the plan read (and the user
// confirmed), so nothing more is read from it.
var ErrSheetChanged = errors.New("the sheet changed after it was read")

// Source is a sheet as its caller hands it over, to be read twice: once
// by the plan, and again — exactly those bytes — by the run. The caller
// owns what it hands over (a file stays open until the run returns).
type Source struct {
	file io.ReaderAt // a file, read again; nil for bytes and streams
	size int64       // the file's size when its read began
	in   io.Reader   // a stream, read once and kept
}

// File is a sheet in a regular file of size bytes (its size when the plan
// begins to read it). The run reads it again through file, each block
// checked against the hash the plan took: an editor that saves by renaming
// leaves the old contents behind an open file; one that writes in place is
// caught.
func File(file io.ReaderAt, size int64) Source { return Source{file: file, size: size} }

// Stream is a sheet read once from in (a pipe, process substitution): the
// plan keeps its bytes, up to a limit, for the run.
func Stream(in io.Reader) Source { return Source{in: in} }

// Bytes is a sheet held in memory already (an upload).
func Bytes(b []byte) Source { return Stream(bytes.NewReader(b)) }

// Snapshot is the sheet as the plan read it, so that the run reads exactly
// those bytes again: a file is read again and checked; anything else is
// held in memory.
type Snapshot struct {
	file   io.ReaderAt // nil when held in memory
	size   int64
	expect int64               // the file's size when its read began; 0 for a stream
	sums   [][sha256.Size]byte // one per SnapshotBlock of the file
	mem    []byte
}

// Record returns a reader for the plan's read of src, which builds s as it
// goes: the bytes of a file are hashed, other input is kept.
func (s *Snapshot) Record(src Source) (io.Reader, error) {
	if src.file == nil {
		return &keepingReader{r: src.in, s: s}, nil
	}
	if src.size > maxSheetBytes {
		return nil, &SheetError{Msg: fmt.Sprintf("the sheet is %d MiB, more than any sheet of accounts (the limit is %d MiB); check the file name, or split the sheet",
			src.size>>20, maxSheetBytes>>20)}
	}
	s.file, s.expect = src.file, src.size
	// One byte past the limit, so that a file growing past it is refused.
	return &hashingReader{r: io.NewSectionReader(src.file, 0, maxSheetBytes+1), s: s, h: sha256.New()}, nil
}

// Expect is the size of the file the plan began to read; 0 for a stream.
func (s *Snapshot) Expect() int64 { return s.expect }

// Reader reads the snapshot again: the same bytes, or ErrSheetChanged.
func (s *Snapshot) Reader() io.Reader {
	if s.file == nil {
		return bytes.NewReader(s.mem)
	}
	return &verifyingReader{r: io.NewSectionReader(s.file, 0, s.size+1), s: s}
}

// Verify reads the whole snapshot again: nil when it is unchanged.
func (s *Snapshot) Verify() error {
	_, err := io.Copy(io.Discard, s.Reader())
	return err
}

// hashingReader passes a file through and hashes it block by block.
type hashingReader struct {
	r    io.Reader
	s    *Snapshot
	h    hash.Hash
	fill int // bytes of the current block hashed so far
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	for rest := p[:n]; len(rest) > 0; {
		k := min(len(rest), SnapshotBlock-h.fill)
		h.h.Write(rest[:k])
		h.fill += k
		rest = rest[k:]
		if h.fill == SnapshotBlock {
			h.endBlock()
		}
	}
	h.s.size += int64(n)
	if h.s.size > maxSheetBytes {
		return n, &SheetError{Msg: fmt.Sprintf("the sheet grew past %d MiB while it was read", maxSheetBytes>>20)}
	}
	if err == io.EOF && h.fill > 0 {
		h.endBlock()
	}
	return n, err
}

func (h *hashingReader) endBlock() {
	var sum [sha256.Size]byte
	h.h.Sum(sum[:0])
	h.s.sums = append(h.s.sums, sum)
	h.h.Reset()
	h.fill = 0
}

// keepingReader passes input through and keeps a copy, up to a limit.
type keepingReader struct {
	r io.Reader
	s *Snapshot
}

func (k *keepingReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if len(k.s.mem)+n > maxPipedSheetBytes {
		return 0, &SheetError{Msg: fmt.Sprintf("a sheet that is not a file (a pipe) may hold at most %d MiB; save it to a file, or split it", maxPipedSheetBytes>>20)}
	}
	k.s.mem = append(k.s.mem, p[:n]...)
	return n, err
}

// verifyingReader reads a file again and hands on each block only once it
// has been found unchanged.
type verifyingReader struct {
	r     io.Reader
	s     *Snapshot
	block int    // index of the next block to read
	buf   []byte // what is left to hand on of the verified block
	store []byte // the block buffer
	err   error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	for len(v.buf) == 0 {
		if v.err != nil {
			return 0, v.err
		}
		v.next()
	}
	n := copy(p, v.buf)
	v.buf = v.buf[n:]
	return n, nil
}

// next reads and checks the next block, or sets err: io.EOF after the
// last, ErrSheetChanged when the file differs.
func (v *verifyingReader) next() {
	if v.block == len(v.s.sums) {
		// The file must end where it ended: a longer one has changed.
		if n, _ := io.ReadFull(v.r, make([]byte, 1)); n > 0 {
			v.err = ErrSheetChanged
			return
		}
		v.err = io.EOF
		return
	}
	size := int64(SnapshotBlock)
	if rest := v.s.size - int64(v.block)*SnapshotBlock; rest < size {
		size = rest
	}
	if v.store == nil {
		v.store = make([]byte, SnapshotBlock)
	}
	buf := v.store[:size]
	if _, err := io.ReadFull(v.r, buf); err != nil || sha256.Sum256(buf) != v.s.sums[v.block] {
		v.err = ErrSheetChanged
		return
	}
	v.block++
	v.buf = buf
}
