//! XMP provenance packet. Placeholder.
