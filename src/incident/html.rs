//! The Markdown export as one self-contained HTML page, for wikis that accept pasted
//! HTML (Confluence, Notion, Google Docs) and for reading in a browser. The page is
//! made from the Markdown export, where everything people typed is already escaped to
//! render as text ([`super::markdown`]); on top of that, any raw HTML the Markdown
//! parser meets is written as text, and the page's own Content-Security-Policy loads
//! nothing from anywhere (no scripts, images, fonts or frames), so a note can never
//! call home when the page is opened.

use pulldown_cmark::{Event, Options, Parser, html};

/// The page's style: readable in a browser, tables ruled, nothing fetched.
const STYLE: &str = "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;\
max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}\
h1,h2,h3{line-height:1.25}h1{border-bottom:1px solid #d0d7de;padding-bottom:.3rem}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}\
code{background:#f6f8fa;padding:.1rem .3rem;border-radius:3px}hr{border:0;border-top:1px solid #d0d7de;margin:2rem 0}\
li{margin:.15rem 0}";

/// `markdown` (an export) as a whole HTML document titled `title`.
pub fn page(title: &str, markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_TASKLISTS);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    // Raw HTML becomes text: the export never means to emit any, so whatever looks
    // like a tag is shown as typed.
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut body = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut body, events);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"generator\" content=\"warroom\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// `text` safe inside an HTML element or attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::markdown;

    #[test]
    fn a_typed_note_stays_text_and_nothing_is_fetched() {
        let note = "<script>alert(1)</script> <img src=https://evil.example/p.gif> ![x](https://evil.example/b.png) [a](javascript:alert(1))";
        let md = format!(
            "# Post-mortem\n\n- 04:15 UTC alice: {}\n",
            markdown::text(note)
        );
        let page = page("<b>Title</b> & co", &md);
        for forbidden in ["<script", "<img", "href=\"javascript", "src=\"https"] {
            assert!(!page.contains(forbidden), "{forbidden} in {page}");
        }
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(page.contains("<title>&lt;b&gt;Title&lt;/b&gt; &amp; co</title>"));
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn raw_html_in_the_markdown_is_shown_not_obeyed() {
        let page = page("t", "<div onclick=x>hi</div>\n\ntext <em>inline</em>\n");
        assert!(
            !page.contains("<div") && !page.contains("<em>inline"),
            "{page}"
        );
        assert!(page.contains("&lt;div onclick=x&gt;"), "{page}");
    }

    #[test]
    fn tables_headings_and_task_lists_render() {
        let page = page(
            "t",
            "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [ ] open item\n",
        );
        assert!(page.contains("<h1>Title</h1>"), "{page}");
        assert!(
            page.contains("<table>") && page.contains("<td>2</td>"),
            "{page}"
        );
        assert!(page.contains("type=\"checkbox\""), "{page}");
    }
}
