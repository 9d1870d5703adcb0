//! Renders the contact sheet shown in the README (`docs/styles.png`): the source photo and
//! the six styles, and prints how long each style took.
//! `cargo run --release -p atelier-engine --example sheet -- PHOTO OUT.png [EDGE]`

use std::time::Instant;

use atelier_engine::{
    EncodeOptions, Format, Limits, Params, Style, decode, encode, fit_max_edge, stylize,
};
use image::{GenericImage, Rgb, RgbImage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = match (args.get(1), args.get(2)) {
        (Some(i), Some(o)) => (i, o),
        _ => return Err("usage: sheet PHOTO OUT.png [EDGE]".into()),
    };
    let edge: u32 = args.get(3).map(|e| e.parse()).transpose()?.unwrap_or(512);
    let photo = fit_max_edge(
        &decode(&std::fs::read(input)?, &Limits::default())?.image,
        edge,
    );
    let (w, h) = photo.dimensions();
    let gap = 8;
    // Four tiles on the first row (photo + three styles), three centred on the second.
    let mut sheet = RgbImage::from_pixel(4 * w + 5 * gap, 2 * h + 3 * gap, Rgb([246, 243, 236]));
    sheet.copy_from(&photo, gap, gap)?;
    for (i, style) in Style::ALL.into_iter().enumerate() {
        let t = Instant::now();
        let out = stylize(&photo, style, &Params::default());
        let ms = t.elapsed().as_secs_f64() * 1e3;
        println!("{:16} {ms:8.1} ms", style.id());
        let slot = i as u32 + 1;
        let (x, y) = if slot < 4 {
            (gap + slot * (w + gap), gap)
        } else {
            (gap + (w + gap) / 2 + (slot - 4) * (w + gap), 2 * gap + h)
        };
        sheet.copy_from(&out, x, y)?;
    }
    std::fs::write(
        output,
        encode(&sheet, &EncodeOptions::new(Format::Png, Style::Anime))?,
    )?;
    Ok(())
}
