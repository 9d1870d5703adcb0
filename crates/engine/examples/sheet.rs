//! Development aid: renders every style of one photo into a contact sheet and prints timings.
//! `cargo run --release -p atelier-engine --example sheet -- PHOTO OUT.png [EDGE]`

use std::time::Instant;

use atelier_engine::{
    EncodeOptions, Format, Limits, Params, Style, decode, encode, fit_max_edge, stylize,
};
use image::{GenericImage, RgbImage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = match (args.get(1), args.get(2)) {
        (Some(i), Some(o)) => (i, o),
        _ => return Err("usage: sheet PHOTO OUT.png [EDGE]".into()),
    };
    let edge: u32 = args.get(3).map(|e| e.parse()).transpose()?.unwrap_or(512);
    let photo = decode(&std::fs::read(input)?, &Limits::default())?.image;
    let photo = if photo.width().max(photo.height()) > edge {
        fit_max_edge(&photo, edge)
    } else {
        photo
    };
    let (w, h) = photo.dimensions();
    let mut sheet = RgbImage::new(w * 4, h * 2);
    sheet.copy_from(&photo, 0, 0)?;
    for (i, style) in Style::ALL.into_iter().enumerate() {
        let t = Instant::now();
        let out = stylize(&photo, style, &Params::default());
        let ms = t.elapsed().as_secs_f64() * 1e3;
        println!(
            "{:16} {:8.1} ms  {:6.1} ms/MP",
            style.id(),
            ms,
            ms / (w as f64 * h as f64 / 1e6)
        );
        let slot = i + 1;
        sheet.copy_from(&out, (slot as u32 % 4) * w, (slot as u32 / 4) * h)?;
    }
    std::fs::write(
        output,
        encode(&sheet, &EncodeOptions::new(Format::Png, Style::Anime))?,
    )?;
    Ok(())
}
