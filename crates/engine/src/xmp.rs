//! The XMP provenance packet every output carries (EU AI Act art. 50 marking duty).
//!
//! The packet says, in the vocabulary other tools already read, that the image was made by a
//! trained algorithm (IPTC `DigitalSourceType` = `trainedAlgorithmicMedia`), by which tool and
//! with which style. It holds no timestamp, user or input data: the same style and engine
//! version always give the same bytes, so outputs stay deterministic and leak nothing.

use crate::{ENGINE_VERSION, Style};

/// IPTC NewsCodes term for "created by a trained algorithm from sampled content".
pub(crate) const TRAINED_ALGORITHMIC_MEDIA: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// Namespace of Atelier's own two properties. The project owns no domain, so the URI uses the
/// reserved `.invalid` TLD: unique, and never mistaken for a page to fetch.
pub(crate) const ATELIER_NS: &str = "https://atelier.invalid/ns/1.0/";

/// Builds the XMP packet (UTF-8, with the standard `<?xpacket?>` wrapper) for an output
/// rendered in `style`.
pub(crate) fn provenance_packet(style: Style) -> String {
    // Style ids and the version are fixed ASCII words, so no XML escaping is needed.
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
        style = style.id(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_names_the_source_type_tool_and_style() {
        let packet = provenance_packet(Style::Anime);
        assert!(packet.contains(TRAINED_ALGORITHMIC_MEDIA));
        assert!(packet.contains("atelier:Style=\"anime\""));
        assert!(packet.contains(&format!("xmp:CreatorTool=\"Atelier {ENGINE_VERSION}\"")));
        assert!(packet.ends_with("<?xpacket end=\"r\"?>"));
    }

    #[test]
    fn packet_is_the_same_every_time() {
        assert_eq!(
            provenance_packet(Style::Clay3d),
            provenance_packet(Style::Clay3d)
        );
    }
}
