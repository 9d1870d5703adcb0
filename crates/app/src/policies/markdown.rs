//! Markdown to HTML for policy documents (CommonMark with tables). Raw HTML in a document is
//! shown as text, never passed through: the pages' Content-Security-Policy and the reader's
//! safety do not depend on who wrote the document.

use pulldown_cmark::{Event, Options, Parser, html};

pub fn render_markdown(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::render_markdown;

    #[test]
    fn headings_lists_links_and_tables_become_html() {
        let html = render_markdown(
            "## Rights\n\n- **Erasure**: [privacy](/privacy)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h2>Rights</h2>"));
        assert!(html.contains("<strong>Erasure</strong>"));
        assert!(html.contains("<a href=\"/privacy\">privacy</a>"));
        assert!(html.contains("<table>") && html.contains("<td>2</td>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render_markdown("Hi <script>alert(1)</script>\n\n<img src=x onerror=y>\n");
        assert!(!html.contains("<script"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
