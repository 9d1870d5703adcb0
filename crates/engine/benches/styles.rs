//! Speed of portrait analysis, of every style and of the codecs, in ms per megapixel (median of
//! several runs after warm-up). `analyze` is the analysis alone (faces, mesh, person mask);
//! each style's row is the style alone (`stylize_portrait` on that analysis), as `stylize`
//! costs both. `cargo bench -p atelier-engine --bench styles -- [--image PNG]... [--runs N]
//! [--json FILE]`; without `--image` it upscales the bundled astronaut portrait to 1024² and
//! 2048². `bench/run.sh` runs this beside OpenCV's anchors on the same pixels.

use std::time::Instant;

use atelier_engine::{
    EncodeOptions, Format, Limits, Params, Style, analyze, decode, encode, stylize_portrait,
};
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer, images::Image};
use image::RgbImage;

struct Row {
    size: String,
    op: String,
    median_ms: f64,
    ms_per_mp: f64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut images = Vec::new();
    let mut runs = 7usize;
    let mut json = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--image" => images.push(args.next().ok_or("--image needs a path")?),
            "--runs" => runs = args.next().ok_or("--runs needs a number")?.parse()?,
            "--json" => json = Some(args.next().ok_or("--json needs a path")?),
            // `cargo bench` passes `--bench`; ignore it and anything else it adds.
            _ => {}
        }
    }
    let photos: Vec<(String, RgbImage)> = if images.is_empty() {
        let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/astronaut.png");
        let base = decode(&std::fs::read(bundled)?, &Limits::default())?.image;
        vec![
            (String::from("1024"), upscale(&base, 1024)?),
            (String::from("2048"), upscale(&base, 2048)?),
        ]
    } else {
        images
            .iter()
            .map(|path| -> Result<_, Box<dyn std::error::Error>> {
                let photo = decode(&std::fs::read(path)?, &Limits::default())?.image;
                Ok((photo.width().to_string(), photo))
            })
            .collect::<Result<_, _>>()?
    };

    let mut rows = Vec::new();
    for (size, photo) in &photos {
        let mp = f64::from(photo.width()) * f64::from(photo.height()) / 1e6;
        println!(
            "\n== {}x{} ({mp:.3} MP), {} threads",
            photo.width(),
            photo.height(),
            rayon::current_num_threads()
        );
        let mut record = |op: &str, median_ms: f64| {
            println!("{op:24} {median_ms:9.2} ms {:9.2} ms/MP", median_ms / mp);
            rows.push(Row {
                size: size.clone(),
                op: op.to_owned(),
                median_ms,
                ms_per_mp: median_ms / mp,
            });
        };
        record(
            "analyze",
            median_ms(runs, || {
                std::hint::black_box(analyze(photo));
            }),
        );
        let portrait = analyze(photo);
        for style in Style::ALL {
            let ms = median_ms(runs, || {
                std::hint::black_box(stylize_portrait(
                    photo,
                    &portrait,
                    style,
                    &Params::default(),
                ));
            });
            record(style.id(), ms);
        }
        let jpeg = encode(photo, &EncodeOptions::new(Format::Jpeg, Style::Anime))?;
        let png = encode(photo, &EncodeOptions::new(Format::Png, Style::Anime))?;
        let limits = Limits::default();
        record(
            "jpeg decode (q90)",
            median_ms(runs, || {
                std::hint::black_box(decode(&jpeg, &limits).ok());
            }),
        );
        record(
            "jpeg encode (q90)",
            median_ms(runs, || {
                std::hint::black_box(
                    encode(photo, &EncodeOptions::new(Format::Jpeg, Style::Anime)).ok(),
                );
            }),
        );
        record(
            "png decode",
            median_ms(runs, || {
                std::hint::black_box(decode(&png, &limits).ok());
            }),
        );
        record(
            "png encode",
            median_ms(runs, || {
                std::hint::black_box(
                    encode(photo, &EncodeOptions::new(Format::Png, Style::Anime)).ok(),
                );
            }),
        );
    }
    if let Some(path) = json {
        let body: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{{\"size\":{},\"op\":\"{}\",\"median_ms\":{:.3},\"ms_per_mp\":{:.3}}}",
                    r.size, r.op, r.median_ms, r.ms_per_mp
                )
            })
            .collect();
        std::fs::write(path, format!("[{}]\n", body.join(",\n")))?;
    }
    Ok(())
}

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..2 {
        f();
    }
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn upscale(src: &RgbImage, edge: u32) -> Result<RgbImage, Box<dyn std::error::Error>> {
    let from = Image::from_vec_u8(
        src.width(),
        src.height(),
        src.as_raw().clone(),
        fast_image_resize::PixelType::U8x3,
    )?;
    let mut to = Image::new(edge, edge, fast_image_resize::PixelType::U8x3);
    Resizer::new().resize(
        &from,
        &mut to,
        &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom)),
    )?;
    RgbImage::from_raw(edge, edge, to.into_vec())
        .ok_or_else(|| "resize produced a short buffer".into())
}
