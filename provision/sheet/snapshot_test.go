package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// rowsOfSize is a sheet of distinct rows, cut (mid-row if need be) to
// exactly size bytes.
func rowsOfSize(size int) []byte {
	var b bytes.Buffer
	b.WriteString("username,email\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "User%06d,user%06d@example.org\n", i, i)
	}
	return b.Bytes()[:size]
}

// readInChunks reads r to the end with reads of an odd size, so that reads
// straddle block boundaries, and returns what it read and the error that
// ended it (nil at io.EOF).
func readInChunks(r io.Reader) ([]byte, error) {
	var out []byte
	buf := make([]byte, 1000)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// recorded is a file of data opened, and read once through a snapshot as
// the plan reads it.
func recorded(t *testing.T, data []byte) (*Snapshot, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sheet.csv")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	s := &Snapshot{}
	r, err := s.Record(File(f, int64(len(data))))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.(*hashingReader); !ok {
		t.Fatalf("a regular file is read through %T, want a hashingReader", r)
	}
	got, err := readInChunks(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("the plan's read gave %d bytes, not the file's %d", len(got), len(data))
	}
	return s, path
}

// A file of any size, also of several blocks and of a size on a block
// boundary, is read again byte for byte, with one hash per block.
func TestSnapshotRereadsAFileByteForByte(t *testing.T) {
	for _, size := range []int{0, 1, SnapshotBlock - 1, SnapshotBlock, SnapshotBlock + 1, 2 * SnapshotBlock, 3*SnapshotBlock - 7} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := rowsOfSize(size)
			s, _ := recorded(t, data)
			if s.size != int64(size) || len(s.sums) != (size+SnapshotBlock-1)/SnapshotBlock {
				t.Errorf("snapshot of %d bytes in %d blocks, want %d bytes in %d blocks",
					s.size, len(s.sums), size, (size+SnapshotBlock-1)/SnapshotBlock)
			}
			if err := s.Verify(); err != nil {
				t.Fatalf("verify an unchanged file: %v", err)
			}
			// Twice: verify and the run each read the snapshot again.
			for range 2 {
				got, err := readInChunks(s.Reader())
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("read again: %d bytes, %v; want the %d bytes the plan read", len(got), err, len(data))
				}
			}
		})
	}
}

// A change to the file is found in the block it is in: the blocks before it
// are handed on (they are what the plan read), nothing of the changed block
// or after it is, and the reader then only says ErrSheetChanged.
func TestSnapshotFindsAChangeInTheBlockItIsIn(t *testing.T) {
	size := 2*SnapshotBlock + SnapshotBlock/2 // two whole blocks and half of one
	tests := []struct {
		name       string
		change     func(t *testing.T, path string)
		handedOnce int // bytes handed on before ErrSheetChanged
	}{
		{"first block", overwriteAt(10), 0},
		{"second block", overwriteAt(SnapshotBlock + 10), SnapshotBlock},
		{"first byte of the second block", overwriteAt(SnapshotBlock), SnapshotBlock},
		{"last byte of the first block", overwriteAt(SnapshotBlock - 1), 0},
		{"last block", overwriteAt(size - 1), 2 * SnapshotBlock},
		{"longer", func(t *testing.T, path string) { appendTo(t, path, "Eve,eve@example.org\n") }, size},
		{"shorter by one byte", func(t *testing.T, path string) { truncate(t, path, size-1) }, 2 * SnapshotBlock},
		{"cut at a block boundary", func(t *testing.T, path string) { truncate(t, path, SnapshotBlock) }, SnapshotBlock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := rowsOfSize(size)
			s, path := recorded(t, data)
			tt.change(t, path)
			got, err := readInChunks(s.Reader())
			if !errors.Is(err, ErrSheetChanged) {
				t.Errorf("read error = %v, want ErrSheetChanged", err)
			}
			if len(got) != tt.handedOnce || !bytes.Equal(got, data[:len(got)]) {
				t.Errorf("handed on %d bytes (the plan's: %v) before the change was found, want the plan's first %d",
					len(got), bytes.Equal(got, data[:min(len(got), len(data))]), tt.handedOnce)
			}
			if err := s.Verify(); !errors.Is(err, ErrSheetChanged) {
				t.Errorf("verify = %v, want ErrSheetChanged", err)
			}
		})
	}
}

// The verifying reader keeps saying that the sheet changed, and hands on
// nothing more, however often it is read.
func TestSnapshotChangedStaysChanged(t *testing.T) {
	data := rowsOfSize(SnapshotBlock + 10)
	s, path := recorded(t, data)
	overwriteAt(SnapshotBlock+1)(t, path)
	r := s.Reader()
	first := make([]byte, SnapshotBlock)
	if _, err := io.ReadFull(r, first); err != nil || !bytes.Equal(first, data[:SnapshotBlock]) {
		t.Fatalf("the unchanged first block: %v", err)
	}
	for range 3 {
		if n, err := r.Read(make([]byte, 100)); n != 0 || !errors.Is(err, ErrSheetChanged) {
			t.Errorf("read after the change = %d, %v; want 0, ErrSheetChanged", n, err)
		}
	}
}

// overwriteAt changes the byte at off of the file in place (same inode, same
// size), as an editor that writes in place would.
func overwriteAt(off int) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, int64(off)); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0x20 // another letter, case swapped; another byte in any case
		if _, err := f.WriteAt(b, int64(off)); err != nil {
			t.Fatal(err)
		}
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string, size int) {
	t.Helper()
	if err := os.Truncate(path, int64(size)); err != nil {
		t.Fatal(err)
	}
}

// repeating is an endless reader of one line again and again, counting
// what it handed out; it allocates nothing per read.
type repeating struct {
	line []byte
	off  int
	read int64
}

func (r *repeating) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.line[r.off:])
		n += k
		r.off = (r.off + k) % len(r.line)
	}
	r.read += int64(n)
	return n, nil
}

// pipeLimit is the limit on a piped sheet for a test: the real one, or,
// under -short, 1 MiB, so that a short run does not push hundreds of MiB
// through memory to prove what any limit proves.
func pipeLimit(t *testing.T) int64 {
	t.Helper()
	if testing.Short() {
		old := maxPipedSheetBytes
		maxPipedSheetBytes = 1 << 20
		t.Cleanup(func() { maxPipedSheetBytes = old })
	}
	return int64(maxPipedSheetBytes)
}

// A sheet that is not a file and is larger than a plan may hold in memory
// is refused with a *SheetError, as soon as the limit is passed: the rest of
// the input is not read, and no more than the limit is kept.
func TestSnapshotRefusesAPipeOverTheLimit(t *testing.T) {
	limit := pipeLimit(t)
	tests := []struct {
		name string
		size int64 // of the input
	}{
		{"one byte over", limit + 1},
		// Much more than the limit, as from a command that never ends; a
		// limit that does not hold ends at its end, without an error.
		{"far over", limit + 16<<20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := "username,email\n"
			src := &repeating{line: []byte("Alice,alice@example.org\n")}
			in := io.LimitReader(io.MultiReader(strings.NewReader(header), src), tt.size)
			s := &Snapshot{}
			r, err := s.Record(Stream(in))
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, make([]byte, 64<<10))
			var se *SheetError
			if !errors.As(err, &se) || !strings.Contains(se.Error(), fmt.Sprintf("at most %d MiB", limit>>20)) {
				t.Fatalf("reading a pipe past the limit: %v, want a *SheetError naming the limit", err)
			}
			if n > limit || int64(len(s.mem)) > limit {
				t.Errorf("handed on %d bytes and kept %d, more than the limit of %d", n, len(s.mem), limit)
			}
			if read := int64(len(header)) + src.read; read > limit+64<<10 {
				t.Errorf("read %d bytes of the input, more than the limit and one read", read)
			}
			s.mem = nil // let the collector have it before the next case
			runtime.GC()
		})
	}
}

// A pipe of exactly the limit is kept whole and read again as it was.
func TestSnapshotKeepsAPipeUpToTheLimit(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"a few rows", []byte("username,email\nAlice,alice@example.org\nBob,bob@example.org\n")},
		{"several blocks", rowsOfSize(2*SnapshotBlock + 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Snapshot{}
			r, err := s.Record(Stream(bytes.NewReader(tt.data)))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := r.(*keepingReader); !ok {
				t.Fatalf("a reader that is not a file is read through %T, want a keepingReader", r)
			}
			if got, err := readInChunks(r); err != nil || !bytes.Equal(got, tt.data) {
				t.Fatalf("the plan's read: %d bytes, %v", len(got), err)
			}
			if err := s.Verify(); err != nil {
				t.Fatal(err)
			}
			if got, err := readInChunks(s.Reader()); err != nil || !bytes.Equal(got, tt.data) {
				t.Errorf("read again: %d bytes, %v; want the %d bytes the plan read", len(got), err, len(tt.data))
			}
		})
	}
	t.Run("exactly the limit", func(t *testing.T) {
		limit := pipeLimit(t)
		s := &Snapshot{}
		src := &repeating{line: []byte("Alice,alice@example.org\n")}
		r, _ := s.Record(Stream(io.LimitReader(src, limit)))
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, make([]byte, 64<<10))
		if err != nil || n != limit || int64(len(s.mem)) != limit {
			t.Errorf("a pipe of exactly the limit: %d bytes handed on, %d kept, %v", n, len(s.mem), err)
		}
		s.mem = nil
		runtime.GC()
	})
}
