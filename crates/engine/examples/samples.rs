//! Renders the style samples the web gallery shows (`crates/app/static/samples/<style>.jpg`):
//! the bundled astronaut's face, framed wide, in every style.
//! `cargo run --release -p atelier-engine --example samples -- OUT_DIR`

use atelier_engine::{
    EncodeOptions, Format, Limits, Params, Style, decode, detect_faces, encode, fit_max_edge,
    stylize,
};
use image::imageops;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: samples OUT_DIR")?;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/astronaut.png");
    let photo = decode(&std::fs::read(path)?, &Limits::default())?.image;
    let face = *detect_faces(&photo)
        .first()
        .ok_or("no face in the sample photo")?;
    // A 16:10 frame three faces wide, centred on the face and kept inside the photo.
    let w = (face.width * 3).min(photo.width());
    let h = (w * 10 / 16).min(photo.height());
    let cx = face.x + face.width / 2;
    let cy = face.y + face.height / 2;
    let x = cx.saturating_sub(w / 2).min(photo.width() - w);
    let y = cy.saturating_sub(h / 2).min(photo.height() - h);
    let framed = imageops::crop_imm(&photo, x, y, w, h).to_image();
    let small = fit_max_edge(&framed, 400);
    for style in Style::ALL {
        let styled = stylize(&small, style, &Params::default());
        let mut options = EncodeOptions::new(Format::Jpeg, style);
        options.quality = 80;
        std::fs::write(
            format!("{out}/{}.jpg", style.id()),
            encode(&styled, &options)?,
        )?;
    }
    Ok(())
}
