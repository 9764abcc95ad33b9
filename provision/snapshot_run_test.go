package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"

	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
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

// wholeRows is a sheet of distinct rows, of at most size bytes, that ends
// with a whole row.
func wholeRows(size int) []byte {
	b := rowsOfSize(size)
	return b[:bytes.LastIndexByte(b, '\n')+1]
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
func recorded(t *testing.T, data []byte) (*sheet.Snapshot, string) {
	t.Helper()
	path, f := openSheet(t, string(data))
	s := &sheet.Snapshot{}
	r, err := s.Record(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.(*sheet.HashingReader); !ok {
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
	for _, size := range []int{0, 1, sheet.SnapshotBlock - 1, sheet.SnapshotBlock, sheet.SnapshotBlock + 1, 2 * sheet.SnapshotBlock, 3*sheet.SnapshotBlock - 7} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := rowsOfSize(size)
			s, _ := recorded(t, data)
			if s.Size != int64(size) || len(s.Sums) != (size+sheet.SnapshotBlock-1)/sheet.SnapshotBlock {
				t.Errorf("snapshot of %d bytes in %d blocks, want %d bytes in %d blocks",
					s.Size, len(s.Sums), size, (size+sheet.SnapshotBlock-1)/sheet.SnapshotBlock)
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

// A sheet of several blocks is planned and run, every row of it.
func TestRunReadsASheetOfSeveralBlocks(t *testing.T) {
	data := wholeRows(3*sheet.SnapshotBlock + 100)
	rows := bytes.Count(data, []byte("\n")) - 1
	_, api, requests := watchedWiki(t)
	_, in := openSheet(t, string(data))
	plan, err := ReadPlan(context.Background(), in, PlanOptions{MailPassword: true, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Counts.Rows != rows || plan.Counts.ToCreate != rows {
		t.Errorf("counts %+v, want %d rows, all to create", plan.Counts, rows)
	}
	got, err := runPlan(t, api, plan, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != rows {
		t.Fatalf("%d results rows, want %d", len(got), rows)
	}
	last := got[len(got)-1]
	if want := fmt.Sprintf("User%06d", rows-1); last.Canonical != want || last.Line != rows+1 || last.Status != report.WouldCreate {
		t.Errorf("last row %+v, want line %d %s would-create", last, rows+1, want)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("an offline dry run sent %d requests", n)
	}
}

// A change to the file is found in the block it is in: the blocks before it
// are handed on (they are what the plan read), nothing of the changed block
// or after it is, and the reader then only says ErrSheetChanged.
func TestSnapshotFindsAChangeInTheBlockItIsIn(t *testing.T) {
	size := 2*sheet.SnapshotBlock + sheet.SnapshotBlock/2 // two whole blocks and half of one
	tests := []struct {
		name       string
		change     func(t *testing.T, path string)
		handedOnce int // bytes handed on before ErrSheetChanged
	}{
		{"first block", overwriteAt(10), 0},
		{"second block", overwriteAt(sheet.SnapshotBlock + 10), sheet.SnapshotBlock},
		{"first byte of the second block", overwriteAt(sheet.SnapshotBlock), sheet.SnapshotBlock},
		{"last byte of the first block", overwriteAt(sheet.SnapshotBlock - 1), 0},
		{"last block", overwriteAt(size - 1), 2 * sheet.SnapshotBlock},
		{"longer", func(t *testing.T, path string) { appendTo(t, path, "Eve,eve@example.org\n") }, size},
		{"shorter by one byte", func(t *testing.T, path string) { truncate(t, path, size-1) }, 2 * sheet.SnapshotBlock},
		{"cut at a block boundary", func(t *testing.T, path string) { truncate(t, path, sheet.SnapshotBlock) }, sheet.SnapshotBlock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := rowsOfSize(size)
			s, path := recorded(t, data)
			tt.change(t, path)
			got, err := readInChunks(s.Reader())
			if !errors.Is(err, sheet.ErrSheetChanged) {
				t.Errorf("read error = %v, want ErrSheetChanged", err)
			}
			if len(got) != tt.handedOnce || !bytes.Equal(got, data[:len(got)]) {
				t.Errorf("handed on %d bytes (the plan's: %v) before the change was found, want the plan's first %d",
					len(got), bytes.Equal(got, data[:min(len(got), len(data))]), tt.handedOnce)
			}
			if err := s.Verify(); !errors.Is(err, sheet.ErrSheetChanged) {
				t.Errorf("verify = %v, want ErrSheetChanged", err)
			}
		})
	}
}

// The verifying reader keeps saying that the sheet changed, and hands on
// nothing more, however often it is read.
func TestSnapshotChangedStaysChanged(t *testing.T) {
	data := rowsOfSize(sheet.SnapshotBlock + 10)
	s, path := recorded(t, data)
	overwriteAt(sheet.SnapshotBlock+1)(t, path)
	r := s.Reader()
	first := make([]byte, sheet.SnapshotBlock)
	if _, err := io.ReadFull(r, first); err != nil || !bytes.Equal(first, data[:sheet.SnapshotBlock]) {
		t.Fatalf("the unchanged first block: %v", err)
	}
	for range 3 {
		if n, err := r.Read(make([]byte, 100)); n != 0 || !errors.Is(err, sheet.ErrSheetChanged) {
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

// A pipe of exactly the limit is kept whole and read again as it was.
func TestSnapshotKeepsAPipeUpToTheLimit(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"a few rows", []byte(sheetOf("Alice", "Bob"))},
		{"several blocks", rowsOfSize(2*sheet.SnapshotBlock + 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sheet.Snapshot{}
			r, err := s.Record(struct{ io.Reader }{bytes.NewReader(tt.data)})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := r.(*sheet.KeepingReader); !ok {
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
		s := &sheet.Snapshot{}
		src := &repeating{line: []byte("Alice,alice@example.org\n")}
		r, _ := s.Record(io.LimitReader(src, sheet.MaxPipedSheetBytes))
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, make([]byte, 64<<10))
		if err != nil || n != sheet.MaxPipedSheetBytes || len(s.Mem) != sheet.MaxPipedSheetBytes {
			t.Errorf("a pipe of exactly the limit: %d bytes handed on, %d kept, %v", n, len(s.Mem), err)
		}
		s.Mem = nil
		runtime.GC()
	})
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
