package starlark

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	gomath "math"
	"os"
	"path"
	"strings"

	"go.starlark.net/lib/json"
	"go.starlark.net/lib/math"
	"go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"github.com/retis-go/retis/builtins"
	"github.com/retis-go/retis/builtins/collect"
	"github.com/retis-go/retis/builtins/event"
	"github.com/retis-go/retis/builtins/exit"
	"github.com/retis-go/retis/builtins/files"
	"github.com/retis-go/retis/builtins/format"
	"github.com/retis-go/retis/builtins/kernel"
	"github.com/retis-go/retis/builtins/pcap"
	"github.com/retis-go/retis/builtins/process"
	"github.com/retis-go/retis/builtins/run"
)

// DefaultLoadSteps bounds the top level of a script and what it loads:
// declarations are cheap, so a profile that needs more is looping.
const DefaultLoadSteps = 10_000_000

// FileOptions is the dialect: while loops, sets, if/for/while at top
// level (conditional declarations) and reassigning globals there.
var FileOptions = &syntax.FileOptions{
	Set:             true,
	While:           true,
	TopLevelControl: true,
	GlobalReassign:  true,
}

// Options tune a run.
type Options struct {
	// Library serves load("@retis//NAME"); nil means Library().
	Library Files
	// LoadSteps bounds top-level execution, loads included; 0 means
	// DefaultLoadSteps.
	LoadSteps uint64
	// MainSteps bounds main(ctx); 0 means no bound (main's work grows
	// with the number of events).
	MainSteps uint64
	// StepsHint ends the step-limit message, e.g. "raise it with
	// --max-steps".
	StepsHint string
	// Stdout receives print(); nil means os.Stdout, buffered (and flushed
	// when loading and main end) unless it is a terminal, where a person
	// watches a live run.
	Stdout io.Writer
	// Paths are the paths the user gave on the command line (-i, -o):
	// with declared outputs and --arg values, the only files main(ctx)
	// may open.
	Paths []string
	// Kernel answers kernel.*; nil means the running kernel
	// (kernel.NewHost).
	Kernel kernel.Facts
	// Formatter renders str(e), str(s) and fmt.*; nil means JSON lines
	// (engine/output's text format plugs in here).
	Formatter event.Formatter
	// Pcap creates the files of pcap.writer; nil makes pcap.writer fail
	// (engine/output/pcapng plugs in here).
	Pcap pcap.Opener
	// Predeclared adds names to Predeclared() (a test's assert module, an
	// embedding program's own builtins); they win on a clash.
	Predeclared starlark.StringDict
	// Setup stores other per-run state in the thread before anything
	// runs (e.g. time.SetNow for reproducible runs).
	Setup func(*starlark.Thread)
}

// Script is a loaded script: its top level ran, its declarations are in
// Config.
type Script struct {
	// Name is the name it was loaded by.
	Name string
	// Doc is the file's docstring (its first statement, when a string).
	Doc string
	// Globals are its top-level names, frozen.
	Globals starlark.StringDict
	// Config holds what the script (and the modules it loaded) declared.
	Config *collect.Config

	opts   Options
	thread *starlark.Thread
	phase  *builtins.Phase
	files  *files.Set
	out    *bufio.Writer
}

// Predeclared returns the names every script sees, besides Starlark's
// universe: collect, probe, output, kernel, fmt, pcap, process, fail,
// exit, json, time, math and struct.
func Predeclared() starlark.StringDict {
	d := starlark.StringDict{
		"kernel":  kernel.Module,
		"fmt":     format.Module,
		"pcap":    pcap.Module,
		"process": process.Module,
		"json":    json.Module,
		"time":    time.Module,
		"math":    math.Module,
		"struct":  starlark.NewBuiltin("struct", starlarkstruct.Make),
	}
	for k, v := range collect.Predeclared() {
		d[k] = v
	}
	for k, v := range exit.Predeclared() {
		d[k] = v
	}
	return d
}

// Load reads name from src, runs its top level and returns the script.
// Relative load()s read from src too, @retis// ones from the library.
func Load(src Files, name string, opts Options) (*Script, error) {
	if opts.Library == nil {
		opts.Library = FS(Library())
	}
	if opts.LoadSteps == 0 {
		opts.LoadSteps = DefaultLoadSteps
	}
	s := &Script{
		Name:   name,
		Config: &collect.Config{},
		opts:   opts,
		phase:  new(builtins.Phase),
		files:  files.NewSet(opts.Paths...),
	}
	out := opts.Stdout
	if out == nil {
		out = os.Stdout
		if st, err := os.Stdout.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
			s.out = bufio.NewWriterSize(os.Stdout, 64<<10)
			out = s.out
		}
	}
	th := &starlark.Thread{
		Name:  name,
		Print: func(_ *starlark.Thread, msg string) { io.WriteString(out, msg+"\n") },
	}
	s.thread = th
	builtins.SetStdout(th, out)
	builtins.SetPhase(th, s.phase)
	collect.SetDeclared(th, s.Config)
	files.SetFiles(th, s.files)
	if opts.Kernel == nil {
		opts.Kernel = kernel.NewHost()
	}
	kernel.SetFacts(th, opts.Kernel)
	if opts.Formatter != nil {
		event.SetFormatter(th, opts.Formatter)
	}
	if opts.Pcap != nil {
		pcap.SetOpener(th, opts.Pcap)
	}
	if opts.Setup != nil {
		opts.Setup(th)
	}
	predeclared := Predeclared()
	for k, v := range opts.Predeclared {
		predeclared[k] = v
	}
	l := &loader{src: src, lib: opts.Library, predeclared: predeclared, modules: map[string]*module{}}
	th.Load = l.load
	s.limit(opts.LoadSteps, "loading")

	data, err := src.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	defer s.flush()
	globals, doc, err := l.exec(th, name, data)
	if err != nil {
		return nil, err
	}
	s.Globals, s.Doc = globals, doc
	return s, nil
}

// limit bounds the steps from now on; 0 removes the bound.
func (s *Script) limit(steps uint64, what string) {
	th := s.thread
	if steps == 0 {
		// Not 0: the interpreter reads 0 as "unlimited" only before the
		// thread's first call.
		th.SetMaxExecutionSteps(gomath.MaxUint64)
		return
	}
	th.SetMaxExecutionSteps(th.ExecutionSteps() + steps)
	th.OnMaxSteps = func(th *starlark.Thread) {
		msg := fmt.Sprintf("step limit of %d reached while %s", steps, what)
		if s.opts.StepsHint != "" {
			msg += " (" + s.opts.StepsHint + ")"
		}
		th.Cancel(msg)
	}
}

func (s *Script) flush() {
	if s.out != nil {
		s.out.Flush()
	}
}

// Thread returns the thread the script runs on, for builtins' SetX/X.
func (s *Script) Thread() *starlark.Thread { return s.thread }

// ErrNoMain is returned by Main for a script without main(ctx).
var ErrNoMain = errors.New("no main(ctx) function")

// HasMain reports whether the script defines main.
func (s *Script) HasMain() bool {
	_, ok := s.Globals["main"]
	return ok
}

// Main calls main(ctx). From then on declarations are refused and files
// may be opened: those given in Options.Paths, the --arg values and the
// declared outputs. Files the script opened are closed when it returns.
func (s *Script) Main(ctx *run.Context) error {
	fn, ok := s.Globals["main"]
	if !ok {
		return fmt.Errorf("%s: %w", s.Name, ErrNoMain)
	}
	f, ok := fn.(*starlark.Function)
	if !ok {
		return fmt.Errorf("%s: main is a %s, want a function main(ctx)", s.Name, fn.Type())
	}
	if f.NumParams() != 1 || f.HasVarargs() || f.HasKwargs() {
		return fmt.Errorf("%s: main must take exactly one parameter, ctx (it takes %d)", s.Name, f.NumParams())
	}
	*s.phase = builtins.PhaseMain
	s.files.Allow(s.Config.Outputs...)
	for _, v := range ctx.Args() {
		s.files.Allow(v)
	}
	s.limit(s.opts.MainSteps, "running main")
	defer s.flush()
	_, err := starlark.Call(s.thread, fn, starlark.Tuple{ctx}, nil)
	// Closing flushes what the script wrote; when the script failed, its
	// error is the one to report.
	closeErr := errors.Join(ctx.Close(), s.files.Close())
	if err != nil {
		return err
	}
	return closeErr
}

// Cancel stops the script at its next step with an error naming reason
// (a second Ctrl-C). It is safe to call from another goroutine; a live
// source ending (first Ctrl-C) lets main finish its report instead.
func (s *Script) Cancel(reason string) { s.thread.Cancel(reason) }

// Close releases what the script opened; Main already does.
func (s *Script) Close() error {
	s.flush()
	return s.files.Close()
}

// module is a loaded module, or one being loaded (a cycle).
type module struct {
	globals starlark.StringDict
	err     error
	loading bool
}

type loader struct {
	src, lib    Files
	predeclared starlark.StringDict
	modules     map[string]*module
}

// load resolves a load() statement. Modules run on the loading thread so
// that their declarations join the script's and step limits cover them.
func (l *loader) load(th *starlark.Thread, name string) (starlark.StringDict, error) {
	from := th.CallFrame(0).Pos.Filename()
	key, err := resolveModule(from, name)
	if err != nil {
		return nil, err
	}
	if m, ok := l.modules[key]; ok {
		if m.loading {
			return nil, fmt.Errorf("cycle in load graph: %s loads %s, which is still loading", from, key)
		}
		return m.globals, m.err
	}
	m := &module{loading: true}
	l.modules[key] = m
	src := l.src
	file := key
	if lib, ok := strings.CutPrefix(key, LibraryPrefix); ok {
		src, file = l.lib, lib
	}
	data, err := src.ReadFile(file)
	if err != nil {
		m.err = err
	} else {
		m.globals, _, m.err = l.exec(th, key, data)
	}
	m.loading = false
	return m.globals, m.err
}

// resolveModule turns a load() argument into a module key: library names
// keep their prefix, other names are relative to the loading file.
func resolveModule(from, name string) (string, error) {
	if lib, ok := strings.CutPrefix(name, LibraryPrefix); ok {
		clean := path.Clean(lib)
		if lib == "" || clean != lib || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
			return "", fmt.Errorf("bad library module %q: want %sNAME.star", name, LibraryPrefix)
		}
		return name, nil
	}
	if strings.HasPrefix(name, "@") {
		return "", fmt.Errorf("unknown repository in %q: only %s is known", name, LibraryPrefix)
	}
	if !strings.HasSuffix(name, ".star") {
		return "", fmt.Errorf("module %q: want a .star file", name)
	}
	if path.IsAbs(name) {
		return path.Clean(name), nil
	}
	if lib, ok := strings.CutPrefix(from, LibraryPrefix); ok {
		return LibraryPrefix + path.Join(path.Dir(lib), name), nil
	}
	return path.Join(path.Dir(from), name), nil
}

// exec compiles and runs one file with the dialect options and returns its
// globals and docstring.
func (l *loader) exec(th *starlark.Thread, name string, data []byte) (starlark.StringDict, string, error) {
	f, prog, err := starlark.SourceProgramOptions(FileOptions, name, data, l.predeclared.Has)
	if err != nil {
		return nil, "", err
	}
	globals, err := prog.Init(th, l.predeclared)
	if err != nil {
		return nil, "", err
	}
	globals.Freeze()
	return globals, docstring(f), nil
}

// Doc returns the docstring of a script without running it, for listing
// profiles.
func Doc(src Files, name string) (string, error) {
	data, err := src.ReadFile(name)
	if err != nil {
		return "", err
	}
	f, err := FileOptions.Parse(name, data, 0)
	if err != nil {
		return "", err
	}
	return docstring(f), nil
}

func docstring(f *syntax.File) string {
	if len(f.Stmts) == 0 {
		return ""
	}
	e, ok := f.Stmts[0].(*syntax.ExprStmt)
	if !ok {
		return ""
	}
	lit, ok := e.X.(*syntax.Literal)
	if !ok || lit.Token != syntax.STRING {
		return ""
	}
	s, _ := lit.Value.(string)
	return s
}
