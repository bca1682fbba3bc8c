package hal

import (
	"bytes"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Formattable is OpenProject's formatted text.
type Formattable struct {
	Format string `json:"format"`
	Raw    string `json:"raw"`
	HTML   string `json:"html"`
}

// Markdown renders raw markdown text as a Formattable: CommonMark with
// GitHub's tables, strikethrough, autolinks and task lists, line breaks kept
// (as in OpenProject's comments), OpenProject's op-uc-* classes on the
// elements, and raw HTML shown as text, never passed through.
func Markdown(raw string) Formattable {
	f := Formattable{Format: "markdown", Raw: raw}
	if strings.TrimSpace(raw) == "" {
		return f
	}
	f.HTML = markdownHTML(raw)
	return f
}

// markdownCache keeps rendered texts until it holds markdownCacheBytes: a
// page of work packages renders the same descriptions on every request.
var markdownCache = struct {
	sync.Mutex
	m    map[string]string
	size int
}{m: map[string]string{}}

const markdownCacheBytes = 8 << 20

func markdownHTML(raw string) string {
	markdownCache.Lock()
	out, ok := markdownCache.m[raw]
	markdownCache.Unlock()
	if ok {
		return out
	}
	out = markdownHTMLUncached(raw)
	markdownCache.Lock()
	if markdownCache.size+len(raw)+len(out) > markdownCacheBytes {
		markdownCache.m, markdownCache.size = map[string]string{}, 0
	}
	markdownCache.m[raw] = out
	markdownCache.size += len(raw) + len(out)
	markdownCache.Unlock()
	return out
}

func markdownHTMLUncached(raw string) string {
	if tooDeep(raw) {
		return plainHTML(raw)
	}
	var buf bytes.Buffer
	if err := markdownRenderer.Convert([]byte(raw), &buf); err != nil {
		// goldmark fails only on a failing writer; a bytes.Buffer does not.
		return opEscape(raw)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// maxMarkers bounds the container markers (">", list bullets and numbers)
// opening one line: parsing nested blocks costs the square of their depth
// (64 KiB of ">" take seconds), and no text nests that deep.
const maxMarkers = 64

// tooDeep reports whether a line of raw opens more than maxMarkers
// blockquotes or list items.
func tooDeep(raw string) bool {
	for line := range strings.SplitSeq(raw, "\n") {
		markers := 0
	scan:
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c == ' ' || c == '\t':
			case c == '>' || c == '-' || c == '*' || c == '+':
				markers++
			case c >= '0' && c <= '9':
				for i < len(line) && line[i] >= '0' && line[i] <= '9' {
					i++
				}
				if i == len(line) || (line[i] != '.' && line[i] != ')') {
					break scan
				}
				markers++
			default:
				break scan
			}
		}
		if markers > maxMarkers {
			return true
		}
	}
	return false
}

// plainHTML shows a text as escaped paragraphs with its line breaks.
func plainHTML(raw string) string {
	var b strings.Builder
	for para := range strings.SplitSeq(strings.ReplaceAll(raw, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(`<p class="op-uc-p">`)
		b.WriteString(strings.ReplaceAll(string(util.EscapeHTML([]byte(strings.Trim(para, "\n")))), "\n", "<br>\n"))
		b.WriteString("</p>")
	}
	return b.String()
}

func opEscape(s string) string {
	return `<p class="op-uc-p">` + string(util.EscapeHTML([]byte(s))) + `</p>`
}

// markdownRenderer is safe for concurrent use. Without html.WithUnsafe,
// goldmark drops javascript:, vbscript:, file: and data: link targets; the
// raw HTML renderers below replace its "raw HTML omitted" comments.
var markdownRenderer = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(opClasses{}, 100))),
	goldmark.WithRendererOptions(html.WithHardWraps(),
		renderer.WithNodeRenderers(util.Prioritized(opRenderer{}, 100))),
)

// opClasses adds the classes OpenProject's formatter gives each element
// (its BemCssFilter and TaskListFilter).
type opClasses struct{}

var headingClasses = [...]string{"", "op-uc-h1", "op-uc-h2", "op-uc-h3", "op-uc-h4", "op-uc-h5", "op-uc-h6"}

func (opClasses) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		class := ""
		switch n := n.(type) {
		case *ast.Paragraph:
			class = "op-uc-p"
		case *ast.Heading:
			if n.Level >= 1 && n.Level <= 6 {
				class = headingClasses[n.Level]
			}
		case *ast.Blockquote:
			class = "op-uc-blockquote"
		case *ast.CodeSpan:
			class = "op-uc-code"
		case *ast.List:
			class = "op-uc-list"
			if isTaskList(n) {
				class = "op-uc-list_task-list op-uc-list"
			}
		case *ast.ListItem:
			class = "op-uc-list--item"
		case *ast.Link, *ast.AutoLink:
			class = "op-uc-link"
		case *ast.Image:
			class = "op-uc-image"
		case *extast.Table:
			class = "op-uc-table"
		case *extast.TableRow:
			class = "op-uc-table--row"
		case *extast.TableCell:
			class = "op-uc-table--cell"
			if _, head := n.Parent().(*extast.TableHeader); head {
				class = "op-uc-table--cell op-uc-table--cell_head"
			}
		}
		if class != "" {
			n.SetAttributeString("class", []byte(class))
		}
		return ast.WalkContinue, nil
	})
}

// isTaskList reports whether a list's first item starts with a checkbox.
func isTaskList(l *ast.List) bool {
	item := l.FirstChild()
	if item == nil || item.FirstChild() == nil {
		return false
	}
	_, ok := item.FirstChild().FirstChild().(*extast.TaskCheckBox)
	return ok
}

// opRenderer renders what goldmark's own renderers cannot give a class to,
// and raw HTML as the text it is.
type opRenderer struct{}

func (opRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(extast.KindTableHeader, renderTableHeader)
	reg.Register(extast.KindTaskCheckBox, renderTaskCheckBox)
	reg.Register(ast.KindFencedCodeBlock, renderCodeBlock)
	reg.Register(ast.KindCodeBlock, renderCodeBlock)
	reg.Register(ast.KindRawHTML, renderRawHTML)
	reg.Register(ast.KindHTMLBlock, renderHTMLBlock)
}

func renderTableHeader(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString("<thead class=\"op-uc-table--head\">\n<tr class=\"op-uc-table--row\">\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("</tr>\n</thead>\n")
	if n.NextSibling() != nil {
		_, _ = w.WriteString("<tbody>\n")
	}
	return ast.WalkContinue, nil
}

func renderTaskCheckBox(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<input type="checkbox" class="op-uc-list--task-checkbox" disabled="disabled"`)
	if n.(*extast.TaskCheckBox).IsChecked {
		_, _ = w.WriteString(` checked="checked"`)
	}
	_, _ = w.WriteString("> ")
	return ast.WalkContinue, nil
}

func renderCodeBlock(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</pre>\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<pre class="op-uc-code-block"`)
	if f, ok := n.(*ast.FencedCodeBlock); ok {
		if lang := f.Language(source); len(lang) > 0 {
			_, _ = w.WriteString(` lang="`)
			_, _ = w.Write(util.EscapeHTML(lang))
			_ = w.WriteByte('"')
		}
	}
	_ = w.WriteByte('>')
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		_, _ = w.Write(util.EscapeHTML(seg.Value(source)))
	}
	return ast.WalkContinue, nil
}

func renderRawHTML(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segs := n.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			seg := segs.At(i)
			_, _ = w.Write(util.EscapeHTML(seg.Value(source)))
		}
	}
	return ast.WalkSkipChildren, nil
}

// renderHTMLBlock shows an HTML block as a paragraph of its text.
func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	var b bytes.Buffer
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		b.Write(seg.Value(source))
	}
	if n.HasClosure() {
		b.Write(n.ClosureLine.Value(source))
	}
	body := bytes.TrimRight(b.Bytes(), "\n")
	_, _ = w.WriteString(`<p class="op-uc-p">`)
	_, _ = w.Write(bytes.ReplaceAll(util.EscapeHTML(body), []byte("\n"), []byte("<br>\n")))
	_, _ = w.WriteString("</p>\n")
	return ast.WalkSkipChildren, nil
}
