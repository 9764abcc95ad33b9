package sheet

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

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

// A sheet that is not a file and is larger than a plan may hold in memory
// is refused with a *SheetError, as soon as the limit is passed: the rest of
// the input is not read, and no more than the limit is kept.
func TestSnapshotRefusesAPipeOverTheLimit(t *testing.T) {
	tests := []struct {
		name string
		size int64 // of the input
	}{
		{"one byte over", MaxPipedSheetBytes + 1},
		// Much more than the limit, as from a command that never ends; a
		// limit that does not hold ends at its end, without an error.
		{"far over", MaxPipedSheetBytes + 16<<20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := "username,email\n"
			src := &repeating{line: []byte("Alice,alice@example.org\n")}
			in := io.LimitReader(io.MultiReader(strings.NewReader(header), src), tt.size)
			s := &Snapshot{}
			r, err := s.Record(in)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, make([]byte, 64<<10))
			var se *SheetError
			if !errors.As(err, &se) || !strings.Contains(se.Error(), "at most 256 MiB") {
				t.Fatalf("reading a pipe past the limit: %v, want a *SheetError naming the limit", err)
			}
			if n > MaxPipedSheetBytes || len(s.Mem) > MaxPipedSheetBytes {
				t.Errorf("handed on %d bytes and kept %d, more than the limit of %d", n, len(s.Mem), MaxPipedSheetBytes)
			}
			if read := int64(len(header)) + src.read; read > MaxPipedSheetBytes+64<<10 {
				t.Errorf("read %d bytes of the input, more than the limit and one read", read)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("refusing took %s", d)
			}
			s.Mem = nil // let the collector have it before the next case
			runtime.GC()
		})
	}
}
