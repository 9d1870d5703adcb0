//! The XMP provenance packet every output carries (EU AI Act art. 50 marking duty).
//!
//! The packet says, in the vocabulary other tools already read, that the image was made by a
//! trained algorithm (IPTC `DigitalSourceType` = `trainedAlgorithmicMedia`), by which tool and
//! with which style. It holds no timestamp, user or input data: the same style and engine
//! version always give the same bytes, so outputs stay deterministic and leak nothing.

use crate::ENGINE_VERSION;
#[cfg(test)]
use crate::Style;

/// IPTC NewsCodes term for "created by a trained algorithm from sampled content".
pub(crate) const TRAINED_ALGORITHMIC_MEDIA: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// Namespace of Atelier's own two properties. The project owns no domain, so the URI uses the
/// reserved `.invalid` TLD: unique, and never mistaken for a page to fetch.
pub(crate) const ATELIER_NS: &str = "https://atelier.invalid/ns/1.0/";

/// Builds the XMP packet (UTF-8, with the standard `<?xpacket?>` wrapper) for an output
/// rendered in the style `style_id`.
pub(crate) fn provenance_packet(style_id: &str) -> String {
    // The version is a fixed ASCII word; style ids may come from a service's config, so they
    // are escaped for an XML attribute.
    let style = escape_attribute(style_id);
    format!(
        concat!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n",
            " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n",
            "  <rdf:Description rdf:about=\"\"\n",
            "    xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\"\n",
            "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n",
            "    xmlns:atelier=\"{ns}\"\n",
            "    Iptc4xmpExt:DigitalSourceType=\"{source}\"\n",
            "    xmp:CreatorTool=\"Atelier {version}\"\n",
            "    atelier:Style=\"{style}\"\n",
            "    atelier:EngineVersion=\"{version}\"/>\n",
            " </rdf:RDF>\n",
            "</x:xmpmeta>\n",
            "<?xpacket end=\"r\"?>"
        ),
        ns = ATELIER_NS,
        source = TRAINED_ALGORITHMIC_MEDIA,
        version = ENGINE_VERSION,
        style = style,
    )
}

fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_names_the_source_type_tool_and_style() {
        let packet = provenance_packet(Style::Anime.id());
        assert!(packet.contains(TRAINED_ALGORITHMIC_MEDIA));
        assert!(packet.contains("atelier:Style=\"anime\""));
        assert!(packet.contains(&format!("xmp:CreatorTool=\"Atelier {ENGINE_VERSION}\"")));
        assert!(packet.ends_with("<?xpacket end=\"r\"?>"));
    }

    #[test]
    fn a_configured_style_id_is_escaped() {
        let packet = provenance_packet("a\"<b>&");
        assert!(packet.contains("atelier:Style=\"a&quot;&lt;b&gt;&amp;\""));
    }

    #[test]
    fn packet_is_the_same_every_time() {
        assert_eq!(
            provenance_packet(Style::Clay3d.id()),
            provenance_packet(Style::Clay3d.id())
        );
    }
}
