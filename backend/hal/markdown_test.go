package hal

import (
	"strings"
	"testing"
)

func TestMarkdownIsCommonMarkWithGitHubExtensionsAndOpenProjectClasses(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want string
	}{
		{"empty", "  \n", ""},
		{"paragraphs and line breaks", "First\nline\n\nSecond", `<p class="op-uc-p">First<br>` + "\n" + `line</p>` + "\n" + `<p class="op-uc-p">Second</p>`},
		{"emphasis", "*a* **b** ~~c~~", `<p class="op-uc-p"><em>a</em> <strong>b</strong> <del>c</del></p>`},
		{"headings", "# One\n###### Six", `<h1 class="op-uc-h1">One</h1>` + "\n" + `<h6 class="op-uc-h6">Six</h6>`},
		{"lists", "- a\n- b\n\n1. c", `<ul class="op-uc-list">` + "\n" + `<li class="op-uc-list--item">a</li>` + "\n" + `<li class="op-uc-list--item">b</li>` + "\n" + `</ul>` + "\n" +
			`<ol class="op-uc-list">` + "\n" + `<li class="op-uc-list--item">c</li>` + "\n" + `</ol>`},
		{"task list", "- [ ] open\n- [x] done", `<ul class="op-uc-list_task-list op-uc-list">` + "\n" +
			`<li class="op-uc-list--item"><input type="checkbox" class="op-uc-list--task-checkbox" disabled="disabled"> open</li>` + "\n" +
			`<li class="op-uc-list--item"><input type="checkbox" class="op-uc-list--task-checkbox" disabled="disabled" checked="checked"> done</li>` + "\n" + `</ul>`},
		{"table", "| a | b |\n|---|--:|\n| 1 | 2 |", `<table class="op-uc-table">` + "\n" + `<thead class="op-uc-table--head">` + "\n" + `<tr class="op-uc-table--row">` + "\n" +
			`<th class="op-uc-table--cell op-uc-table--cell_head">a</th>` + "\n" + `<th class="op-uc-table--cell op-uc-table--cell_head" style="text-align:right">b</th>` + "\n" +
			`</tr>` + "\n" + `</thead>` + "\n" + `<tbody>` + "\n" + `<tr class="op-uc-table--row">` + "\n" + `<td class="op-uc-table--cell">1</td>` + "\n" +
			`<td class="op-uc-table--cell" style="text-align:right">2</td>` + "\n" + `</tr>` + "\n" + `</tbody>` + "\n" + `</table>`},
		{"links and autolinks", "[site](https://example.com) and https://openproject.org", `<p class="op-uc-p"><a href="https://example.com" class="op-uc-link">site</a> and <a href="https://openproject.org" class="op-uc-link">https://openproject.org</a></p>`},
		{"code", "`x < y`\n\n```go\nif a < b {}\n```", `<p class="op-uc-p"><code class="op-uc-code">x &lt; y</code></p>` + "\n" + `<pre class="op-uc-code-block" lang="go">if a &lt; b {}` + "\n" + `</pre>`},
		{"blockquote and image", "> quoted\n\n![alt](/a.png)", `<blockquote class="op-uc-blockquote"><p class="op-uc-p">quoted</p>` + "\n" + `</blockquote>` + "\n" + `<p class="op-uc-p"><img src="/a.png" alt="alt" class="op-uc-image"></p>`},
		// Sanitized: raw HTML is shown as the text it is, script links lose their target.
		{"inline HTML", "Hi <b onclick=\"x()\">there</b>", `<p class="op-uc-p">Hi &lt;b onclick=&quot;x()&quot;&gt;there&lt;/b&gt;</p>`},
		{"HTML block", "<script>alert(1)</script>\n\nafter", `<p class="op-uc-p">&lt;script&gt;alert(1)&lt;/script&gt;</p>` + "\n" + `<p class="op-uc-p">after</p>`},
		{"javascript link", "[x](javascript:alert(1))", `<p class="op-uc-p"><a href="" class="op-uc-link">x</a></p>`},
		{"escaped text", "a & b < c", `<p class="op-uc-p">a &amp; b &lt; c</p>`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := Markdown(c.raw)
			if f.Format != "markdown" || f.Raw != c.raw {
				t.Errorf("format %q raw %q", f.Format, f.Raw)
			}
			if f.HTML != c.want {
				t.Errorf("html:\n%s\nwant:\n%s", f.HTML, c.want)
			}
			// Rendered twice (the second time from the cache): the same.
			if again := Markdown(c.raw); again.HTML != f.HTML {
				t.Errorf("second rendering differs: %s", again.HTML)
			}
		})
	}
}

// The longest text (65,536 characters) of the shapes that cost parsers the
// most still renders, escaped; nesting deeper than maxMarkers is shown as
// plain text (goldmark's cost grows with the square of the depth).
func TestMarkdownLongTexts(t *testing.T) {
	for name, raw := range map[string]string{
		"brackets": strings.Repeat("[", 65536),
		"emphasis": strings.Repeat("*a", 32768),
		"nesting":  strings.Repeat(">", 65536),
		"tags":     strings.Repeat("<a>", 21845),
		"lists":    strings.Repeat("- ", 32767) + "a",
		"numbers":  strings.Repeat("1. ", 21844) + "a",
		"links":    strings.Repeat("[a](b) ", 9362),
	} {
		f := Markdown(raw)
		if f.HTML == "" || strings.Contains(f.HTML, "<a>") || strings.Contains(f.HTML, "<script") {
			t.Errorf("%s: %.200s", name, f.HTML)
		}
	}
}

func BenchmarkMarkdown(b *testing.B) {
	raw := strings.Repeat("Some *text* with a [link](https://example.com) and `code`.\n\n- [ ] task\n- item\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n", 20)
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			_ = markdownHTMLUncached(raw)
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			_ = Markdown(raw)
		}
	})
}

func TestDeepNestingIsShownAsText(t *testing.T) {
	deep := strings.Repeat(">", maxMarkers+1) + " a <b>\nnext"
	if got, want := Markdown(deep).HTML, `<p class="op-uc-p">`+strings.Repeat("&gt;", maxMarkers+1)+` a &lt;b&gt;<br>`+"\n"+`next</p>`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	shallow := strings.Repeat(">", maxMarkers) + " a"
	if got := Markdown(shallow).HTML; strings.Count(got, "<blockquote") != maxMarkers {
		t.Errorf("%d levels are rendered as blockquotes: %.300s", maxMarkers, got)
	}
}
