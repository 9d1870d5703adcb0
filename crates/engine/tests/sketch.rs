//! What the two pencil styles promise a person looking at them: the background outside the
//! person fades to paper, rough-sketch lines are pencil-thin rather than marker-thick,
//! detailed-sketch shades with a real tone layer instead of leaving the subject white, and the
//! intensity visibly changes the drawing.

use atelier_engine::{Limits, Mask, Params, Portrait, RgbImage, Style, decode, stylize_portrait};

fn astronaut() -> RgbImage {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/astronaut.png");
    let bytes = std::fs::read(path).expect("the bundled astronaut photo is readable");
    decode(&bytes, &Limits::default())
        .expect("the astronaut photo decodes")
        .image
}

/// The astronaut's person mask, roughly: a soft ellipse over her head and shoulders (the
/// flag, rocket and wall around it are background).
fn person_ellipse(w: u32, h: u32) -> Mask {
    let (cx, cy, rx, ry) = (
        0.45 * w as f32,
        0.62 * h as f32,
        0.36 * w as f32,
        0.5 * h as f32,
    );
    let mut mask = Mask::filled(w, h, 0.0);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
            let r = (dx * dx + dy * dy).sqrt();
            mask.data[(y * w + x) as usize] = ((1.1 - r) / 0.2).clamp(0.0, 1.0);
        }
    }
    mask
}

fn gray_values(img: &RgbImage) -> Vec<u8> {
    img.pixels().map(|p| p[1]).collect()
}

#[test]
fn sketches_fade_the_background_to_paper() {
    let photo = astronaut();
    let person = person_ellipse(photo.width(), photo.height());
    let portrait = Portrait {
        faces: Vec::new(),
        person: person.clone(),
    };
    for style in [Style::RoughSketch, Style::DetailedSketch] {
        let out = stylize_portrait(&photo, &portrait, style, &Params::default());
        let (mut outside, mut paper, mut inside_dark) = (0u32, 0u32, 0u32);
        for (&v, &m) in gray_values(&out).iter().zip(&person.data) {
            if m < 0.2 {
                outside += 1;
                paper += u32::from(v >= 230);
            } else if m > 0.8 {
                inside_dark += u32::from(v < 200);
            }
        }
        let share = f64::from(paper) / f64::from(outside);
        eprintln!("{style}: {:.0}% paper outside", share * 100.0);
        assert!(
            share >= 0.5,
            "{style}: only {:.0}% paper outside the person",
            share * 100.0
        );
        // The person is still drawn.
        assert!(
            inside_dark > 2000,
            "{style}: the person is blank ({inside_dark})"
        );
    }
}

#[test]
fn rough_sketch_lines_are_pencil_thin() {
    // A light grey card on white: one clean vertical edge at x = 256, no shading to hatch.
    let photo = RgbImage::from_fn(512, 512, |x, y| {
        let card = (256..448).contains(&x) && (64..448).contains(&y);
        image::Rgb([if card { 150 } else { 250 }; 3])
    });
    let portrait = Portrait::unknown(512, 512);
    let out = stylize_portrait(&photo, &portrait, Style::RoughSketch, &Params::default());
    let (mut total, mut rows) = (0usize, 0usize);
    for y in (150..350).step_by(10) {
        let dark = (236..276).filter(|&x| out.get_pixel(x, y)[0] < 170).count();
        total += dark;
        rows += 1;
    }
    let width = total as f64 / rows as f64;
    eprintln!("rough-sketch: edge line {width:.1} px wide");
    // The old marker-thick line across this edge was 4.5 px wide; a pencil line is about 2.
    assert!(width > 0.5, "the edge is not drawn ({width:.1} px)");
    assert!(width < 3.5, "the line is {width:.1} px thick");
}

/// Pearson correlation of the 8×8 block means of two gray planes, over the blocks where
/// `keep` holds.
fn block_correlation(a: &[u8], b: &[u8], w: usize, keep: impl Fn(usize, usize) -> bool) -> f64 {
    let h = a.len() / w;
    let mean = |v: &[u8], bx: usize, by: usize| {
        let mut sum = 0f64;
        for y in by * 8..by * 8 + 8 {
            for x in bx * 8..bx * 8 + 8 {
                sum += f64::from(v[y * w + x]);
            }
        }
        sum / 64.0
    };
    let mut pairs = Vec::new();
    for by in 0..h / 8 {
        for bx in 0..w / 8 {
            if keep(bx, by) {
                pairs.push((mean(a, bx, by), mean(b, bx, by)));
            }
        }
    }
    let n = pairs.len() as f64;
    let (ma, mb) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov: f64 = pairs.iter().map(|p| (p.0 - ma) * (p.1 - mb)).sum();
    let va: f64 = pairs.iter().map(|p| (p.0 - ma).powi(2)).sum();
    let vb: f64 = pairs.iter().map(|p| (p.1 - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn detailed_sketch_shades_the_person_like_the_photo() {
    let photo = astronaut();
    let w = photo.width();
    let person = person_ellipse(w, photo.height());
    let portrait = Portrait {
        faces: Vec::new(),
        person: person.clone(),
    };
    let out = stylize_portrait(&photo, &portrait, Style::DetailedSketch, &Params::default());
    let luma: Vec<u8> = photo
        .pixels()
        .map(|p| ((u32::from(p[0]) * 54 + u32::from(p[1]) * 183 + u32::from(p[2]) * 19) >> 8) as u8)
        .collect();
    let inside = |bx: usize, by: usize| person.data[(by * 8 + 4) * w as usize + bx * 8 + 4] > 0.8;
    let r = block_correlation(&gray_values(&out), &luma, w as usize, inside);
    eprintln!("detailed-sketch: tone correlation {r:.2}");
    // Strokes on white paper (the old look) correlate about 0.2 with the photo's shading; a
    // graphite tone layer follows it.
    assert!(
        r > 0.6,
        "the drawing's tone does not follow the photo ({r:.2})"
    );
}

#[test]
fn intensity_changes_the_sketches_visibly() {
    let photo = astronaut();
    let portrait = Portrait::unknown(photo.width(), photo.height());
    for style in [Style::RoughSketch, Style::DetailedSketch] {
        let render = |intensity| {
            let out = stylize_portrait(&photo, &portrait, style, &Params { intensity, seed: 0 });
            gray_values(&out)
        };
        let (light, strong) = (render(0.1), render(0.9));
        let mean = |v: &[u8]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
        let d = mean(&light) - mean(&strong);
        eprintln!("{style}: intensity 0.1 → 0.9 darkens by {d:.1}");
        assert!(
            d > 6.0,
            "{style}: intensity barely changes the drawing ({d:.1})"
        );
    }
}
