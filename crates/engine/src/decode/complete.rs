//! Whether a file is whole: the container walk that refuses files cut short.
//!
//! The decoders `image` uses are lenient with truncation: zune-jpeg fills the rows it never
//! received with grey, so a JPEG cut inside its scan data decodes into a half-grey picture,
//! and a PNG whose last chunks are missing still shows all its rows. A picture we would
//! charge for must be the one the person meant to send, so, as Pillow does by default, a
//! file that ends before its format says it ends is `Corrupt`. The walk reads only the
//! framing (marker segments, chunk headers), never the pixels, and stops at the format's end
//! marker: bytes after it (camera trailers, a second MPF picture) are left alone, as every
//! decoder leaves them.

/// The reason a JPEG is not whole, or `Ok` once its end-of-image marker is reached.
///
/// Segments are walked by their lengths; entropy-coded data after each start-of-scan is
/// skipped up to the next marker that is not a stuffed `FF 00`, a restart or fill bytes.
pub(super) fn jpeg(bytes: &[u8]) -> Result<(), String> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("no start-of-image marker".into());
    }
    let mut at = 2;
    let mut scans = 0usize;
    loop {
        // Lenient decoders skip stray bytes between segments; so does this walk.
        let Some(found) = next_marker(bytes, at) else {
            return Err(ended(scans, "before its end-of-image marker"));
        };
        let (marker, after) = found;
        match marker {
            // End of image: the file is whole.
            0xD9 => return Ok(()),
            // Markers that stand alone, without a length (TEM, RSTn, a repeated SOI).
            0x01 | 0xD0..=0xD8 => at = after,
            _ => {
                let length = bytes
                    .get(after..after + 2)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                    .ok_or_else(|| ended(scans, "inside a marker segment"))?;
                if length < 2 {
                    return Err(format!("marker {marker:#04X} has a length of {length}"));
                }
                let end = after + length;
                if end > bytes.len() {
                    return Err(ended(scans, "inside a marker segment"));
                }
                at = end;
                if marker == 0xDA {
                    scans += 1;
                    at = skip_scan_data(bytes, at)
                        .ok_or_else(|| ended(scans, "inside its scan data"))?;
                }
            }
        }
    }
}

fn ended(scans: usize, place: &str) -> String {
    format!("the file ends {place} ({scans} scans begun)")
}

/// The marker at or after `at`: its code and the index just past it. Fill bytes (`FF FF…`)
/// are part of the marker; other bytes before it are skipped.
fn next_marker(bytes: &[u8], mut at: usize) -> Option<(u8, usize)> {
    loop {
        let ff = at + bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        let mut code_at = ff + 1;
        while bytes.get(code_at) == Some(&0xFF) {
            code_at += 1;
        }
        match *bytes.get(code_at)? {
            // `FF 00` outside a scan is not a marker: keep looking.
            0x00 => at = code_at + 1,
            code => return Some((code, code_at + 1)),
        }
    }
}

/// Skips entropy-coded data from `at`; returns the index of the `FF` of the marker that ends
/// it, or `None` when the file ends first.
fn skip_scan_data(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let ff = at + bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(ff + 1)? {
            // A stuffed zero, a restart marker, or fill: still inside the scan.
            0x00 | 0xD0..=0xD7 => at = ff + 2,
            0xFF => at = ff + 1,
            _ => return Some(ff),
        }
    }
}

/// The reason a PNG is not whole, or `Ok` once its `IEND` chunk is complete.
pub(super) fn png(bytes: &[u8]) -> Result<(), String> {
    let mut at = 8;
    let mut chunks = 0usize;
    loop {
        let Some(header) = bytes.get(at..at + 8) else {
            return Err(format!("the file ends after {chunks} chunks, without IEND"));
        };
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        // Data and CRC; PNG lengths are at most 2³¹ − 1, so this cannot overflow a u64.
        let end = at as u64 + 8 + u64::from(length) + 4;
        if end > bytes.len() as u64 {
            return Err(format!(
                "the file ends inside its {} chunk",
                String::from_utf8_lossy(&kind)
            ));
        }
        if &kind == b"IEND" {
            return Ok(());
        }
        chunks += 1;
        // `end` fits the slice length, checked above.
        at = usize::try_from(end).map_err(|_| "chunk past the end".to_owned())?;
    }
}

/// The reason a WebP is not whole: a RIFF size that claims more than the file holds, or a
/// chunk that runs past the RIFF.
pub(super) fn webp(bytes: &[u8]) -> Result<(), String> {
    let Some(size) = bytes.get(4..8) else {
        return Err("the file ends inside its RIFF header".into());
    };
    let riff_end = 8 + u64::from(u32::from_le_bytes([size[0], size[1], size[2], size[3]]));
    if riff_end > bytes.len() as u64 {
        return Err(format!(
            "the RIFF header says {riff_end} bytes; the file has {}",
            bytes.len()
        ));
    }
    let mut at = 12u64;
    let mut chunks = 0usize;
    while at < riff_end {
        // `at < riff_end ≤ bytes.len()`, so these indices fit.
        let start = usize::try_from(at).map_err(|_| "chunk past the end".to_owned())?;
        let Some(header) = bytes.get(start..start + 8).filter(|_| at + 8 <= riff_end) else {
            return Err(format!(
                "the file ends inside a chunk header after {chunks} chunks"
            ));
        };
        let length = u64::from(u32::from_le_bytes([
            header[4], header[5], header[6], header[7],
        ]));
        // The pad byte of an odd-sized last chunk is sometimes missing; that is no loss.
        if at + 8 + length > riff_end {
            return Err(format!(
                "the {} chunk runs past the end of the file",
                String::from_utf8_lossy(&header[..4])
            ));
        }
        chunks += 1;
        at += 8 + length + (length & 1);
    }
    if chunks == 0 {
        return Err("the file holds no chunks".into());
    }
    Ok(())
}
