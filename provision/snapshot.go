package provision

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

// Limits on what is read as a sheet, before it is read: a million rows are
// about 60 MiB.
const (
	maxSheetBytes = 2 << 30
	// snapshotBlock is the unit in which a re-read file is checked.
	snapshotBlock = 256 << 10
)

// maxPipedSheetBytes bounds a sheet that is not a regular file (a pipe,
// process substitution): the plan holds it in memory. A variable only so
// that a short test can lower it; nothing else changes it.
var maxPipedSheetBytes = 256 << 20

// ErrSheetChanged: the sheet is no longer what the plan read (and the user
// confirmed), so nothing more is read from it.
var ErrSheetChanged = errors.New("the sheet changed after it was read")

// snapshot is the sheet as the plan read it, so that the run reads exactly
// those bytes again. A regular file is read again through the descriptor
// the plan read it from, each block checked against the hash the plan took
// (an editor that saves by renaming leaves the old contents behind that
// descriptor; one that writes in place is caught). Anything else — a pipe,
// process substitution — is held in memory.
type snapshot struct {
	file   *os.File // nil when held in memory
	size   int64
	expect int64               // the file's size when its read began; 0 for a pipe
	sums   [][sha256.Size]byte // one per snapshotBlock of the file
	mem    []byte
}

// record returns a reader for the plan's read of in, which builds s as it
// goes: the bytes of a regular file are hashed, other input is kept.
func (s *snapshot) record(in io.Reader) (io.Reader, error) {
	f, ok := in.(*os.File)
	if ok {
		fi, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("read sheet: %w", err)
		}
		if fi.Mode().IsRegular() {
			if fi.Size() > maxSheetBytes {
				return nil, &SheetError{Msg: fmt.Sprintf("the sheet is %d MiB, more than any sheet of accounts (the limit is %d MiB); check the file name, or split the sheet",
					fi.Size()>>20, maxSheetBytes>>20)}
			}
			s.file, s.expect = f, fi.Size()
			// One byte past the limit, so that a file growing past it is refused.
			return &hashingReader{r: io.NewSectionReader(f, 0, maxSheetBytes+1), s: s, h: sha256.New()}, nil
		}
	}
	return &keepingReader{r: in, s: s}, nil
}

// reader reads the snapshot again: the same bytes, or ErrSheetChanged.
func (s *snapshot) reader() io.Reader {
	if s.file == nil {
		return bytes.NewReader(s.mem)
	}
	return &verifyingReader{r: io.NewSectionReader(s.file, 0, s.size+1), s: s}
}

// verify reads the whole snapshot again: nil when it is unchanged.
func (s *snapshot) verify() error {
	_, err := io.Copy(io.Discard, s.reader())
	return err
}

// hashingReader passes a file through and hashes it block by block.
type hashingReader struct {
	r    io.Reader
	s    *snapshot
	h    hash.Hash
	fill int // bytes of the current block hashed so far
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	for rest := p[:n]; len(rest) > 0; {
		k := min(len(rest), snapshotBlock-h.fill)
		h.h.Write(rest[:k])
		h.fill += k
		rest = rest[k:]
		if h.fill == snapshotBlock {
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
	s *snapshot
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
	s     *snapshot
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
	size := int64(snapshotBlock)
	if rest := v.s.size - int64(v.block)*snapshotBlock; rest < size {
		size = rest
	}
	if v.store == nil {
		v.store = make([]byte, snapshotBlock)
	}
	buf := v.store[:size]
	if _, err := io.ReadFull(v.r, buf); err != nil || sha256.Sum256(buf) != v.s.sums[v.block] {
		v.err = ErrSheetChanged
		return
	}
	v.block++
	v.buf = buf
}
