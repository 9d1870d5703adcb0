//! Times the I/O layer on a ~1 MP photo: decode, encode per format, face detection.
//! Run with `cargo run --release -p atelier-engine --example io_timing`.

use std::time::{Duration, Instant};

use atelier_engine::{
    EncodeOptions, Format, Limits, RgbImage, Style, decode, detect_faces, encode, fit_max_edge,
};

fn median_of<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/astronaut.png");
    let astronaut = decode(&std::fs::read(path)?, &Limits::default())?.image;
    let photo: RgbImage = image::imageops::resize(
        &astronaut,
        1224,
        816,
        image::imageops::FilterType::CatmullRom,
    );
    println!(
        "photo: {}x{} ({:.2} MP)",
        photo.width(),
        photo.height(),
        1224.0 * 816.0 / 1e6
    );

    for format in Format::ALL {
        let opts = EncodeOptions::new(format, Style::Anime);
        let bytes = encode(&photo, &opts)?;
        let enc = median_of(9, || encode(&photo, &opts));
        let dec = median_of(9, || decode(&bytes, &Limits::default()));
        println!(
            "{format:>4}: encode {:6.1} ms, decode {:6.1} ms, {} kB",
            enc.as_secs_f64() * 1e3,
            dec.as_secs_f64() * 1e3,
            bytes.len() / 1000
        );
    }

    // Almost all of this is reading the model, paid on every call.
    let tiny = RgbImage::new(64, 64);
    let t = median_of(9, || detect_faces(&tiny));
    println!(
        "detect_faces 64x64 (model load): {:.1} ms",
        t.as_secs_f64() * 1e3
    );

    let big = image::imageops::resize(
        &astronaut,
        1448,
        1448,
        image::imageops::FilterType::Triangle,
    );
    for (name, image) in [("512x512", &astronaut), ("1448x1448", &big)] {
        let t = median_of(5, || detect_faces(image));
        println!("detect_faces {name}: {:.1} ms", t.as_secs_f64() * 1e3);
    }
    let t = median_of(9, || fit_max_edge(&big, 1024));
    println!("fit_max_edge 1448² → 1024: {:.1} ms", t.as_secs_f64() * 1e3);
    Ok(())
}
