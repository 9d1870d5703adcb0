//! What every built-in style promises, checked on a synthetic face and on the bundled
//! astronaut portrait: same size out, same bytes for the same input and seed (whatever the
//! thread count), visibly different from the photo and from each other, sketches in gray,
//! watercolor keeping the photo's hues, and a face the detector still finds.

use atelier_engine::{Limits, Params, RgbImage, Style, decode, detect_faces, stylize};
use image::Rgb;

fn astronaut() -> RgbImage {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/astronaut.png");
    let bytes = std::fs::read(path).expect("the bundled astronaut photo is readable");
    decode(&bytes, &Limits::default())
        .expect("the astronaut photo decodes")
        .image
}

/// A cartoon face: skin oval, hair cap, eyes, brows, nose shadow and mouth on a blue wall.
fn synthetic_face(w: u32, h: u32) -> RgbImage {
    let (cx, cy) = (w as f32 / 2.0, h as f32 * 0.52);
    let (rx, ry) = (w as f32 * 0.26, h as f32 * 0.34);
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let (dx, dy) = ((fx - cx) / rx, (fy - cy) / ry);
        let inside = dx * dx + dy * dy;
        let eye = |ex: f32| {
            ((fx - ex) / (rx * 0.16)).powi(2) + ((fy - (cy - ry * 0.15)) / (ry * 0.07)).powi(2)
                < 1.0
        };
        let brow =
            |ex: f32| (fx - ex).abs() < rx * 0.22 && (fy - (cy - ry * 0.32)).abs() < ry * 0.025;
        let mouth = ((fx - cx) / (rx * 0.35)).powi(2)
            + ((fy - (cy + ry * 0.45)) / (ry * 0.06)).powi(2)
            < 1.0;
        let nose = (fx - cx).abs() < rx * 0.05 && fy > cy - ry * 0.05 && fy < cy + ry * 0.2;
        let shade = 1.0 - 0.25 * dx.max(0.0);
        if inside < 1.0 && dy < -0.55 {
            Rgb([70, 45, 25])
        } else if inside < 1.0 {
            if eye(cx - rx * 0.4) || eye(cx + rx * 0.4) {
                Rgb([30, 25, 25])
            } else if brow(cx - rx * 0.4) || brow(cx + rx * 0.4) {
                Rgb([60, 40, 25])
            } else if mouth {
                Rgb([170, 60, 60])
            } else if nose {
                Rgb([190, 140, 115])
            } else {
                Rgb([
                    (230.0 * shade) as u8,
                    (185.0 * shade) as u8,
                    (155.0 * shade) as u8,
                ])
            }
        } else {
            let t = fy / h as f32;
            Rgb([
                (60.0 + 40.0 * t) as u8,
                (90.0 + 40.0 * t) as u8,
                (150.0 + 30.0 * t) as u8,
            ])
        }
    })
}

fn mean_abs_difference(a: &RgbImage, b: &RgbImage) -> f64 {
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// Mean spread between the largest and smallest channel of each pixel (0 for pure gray).
fn colourfulness(img: &RgbImage) -> f64 {
    let total: u64 = img
        .pixels()
        .map(|p| u64::from(p.0.iter().max().unwrap_or(&0) - p.0.iter().min().unwrap_or(&0)))
        .sum();
    total as f64 / (img.width() * img.height()) as f64
}

fn hue(p: &Rgb<u8>) -> Option<f32> {
    let [r, g, b] = p.0.map(f32::from);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    if max - min < 25.0 {
        return None;
    }
    let h = if max == r {
        (g - b) / (max - min)
    } else if max == g {
        2.0 + (b - r) / (max - min)
    } else {
        4.0 + (r - g) / (max - min)
    };
    Some((h * 60.0).rem_euclid(360.0))
}

#[test]
fn every_style_keeps_the_size_of_the_photo() {
    let photo = synthetic_face(203, 157);
    for style in Style::ALL {
        let out = stylize(&photo, style, &Params::default());
        assert_eq!(out.dimensions(), photo.dimensions(), "{style}");
    }
}

#[test]
fn the_same_photo_style_and_seed_give_the_same_pixels_on_any_thread_count() {
    let photo = synthetic_face(320, 240);
    let params = Params {
        intensity: 0.7,
        seed: 42,
    };
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");
    let three_threads = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .expect("a pool");
    for style in Style::ALL {
        let a = one_thread.install(|| stylize(&photo, style, &params));
        let b = three_threads.install(|| stylize(&photo, style, &params));
        let c = stylize(&photo, style, &params);
        assert!(a == b && b == c, "{style} is not deterministic");
    }
}

#[test]
fn a_different_seed_draws_a_different_texture() {
    let photo = synthetic_face(160, 160);
    for style in [
        Style::RoughSketch,
        Style::DetailedSketch,
        Style::LightColor,
        Style::Artistic,
    ] {
        let a = stylize(
            &photo,
            style,
            &Params {
                intensity: 0.5,
                seed: 1,
            },
        );
        let b = stylize(
            &photo,
            style,
            &Params {
                intensity: 0.5,
                seed: 2,
            },
        );
        assert_ne!(a, b, "{style} ignores the seed");
    }
}

#[test]
fn styles_differ_from_the_photo_and_from_each_other() {
    let photo = astronaut();
    let outputs: Vec<(Style, RgbImage)> = Style::ALL
        .into_iter()
        .map(|s| (s, stylize(&photo, s, &Params::default())))
        .collect();
    for (style, out) in &outputs {
        let d = mean_abs_difference(out, &photo);
        assert!(d > 8.0, "{style} is too close to the photo ({d:.1})");
    }
    for (i, (a_style, a)) in outputs.iter().enumerate() {
        for (b_style, b) in &outputs[i + 1..] {
            let d = mean_abs_difference(a, b);
            assert!(d > 6.0, "{a_style} and {b_style} look alike ({d:.1})");
        }
    }
}

#[test]
fn sketches_are_gray_and_colour_styles_are_not() {
    for photo in [astronaut(), synthetic_face(256, 256)] {
        for style in Style::ALL {
            let c = colourfulness(&stylize(&photo, style, &Params::default()));
            match style {
                Style::RoughSketch | Style::DetailedSketch => assert!(c < 1.0, "{style}: {c:.1}"),
                _ => assert!(c > 10.0, "{style} lost its colour: {c:.1}"),
            }
        }
    }
}

#[test]
fn watercolor_keeps_the_hues_of_the_photo() {
    let photo = astronaut();
    let out = stylize(&photo, Style::LightColor, &Params::default());
    let (mut compared, mut close) = (0u32, 0u32);
    for (p, q) in photo.pixels().zip(out.pixels()).step_by(7) {
        if let (Some(a), Some(b)) = (hue(p), hue(q)) {
            compared += 1;
            let d = (a - b).abs();
            if d.min(360.0 - d) < 30.0 {
                close += 1;
            }
        }
    }
    assert!(
        compared > 1000,
        "too few coloured pixels compared ({compared})"
    );
    let share = f64::from(close) / f64::from(compared);
    assert!(share > 0.8, "only {:.0}% of hues kept", share * 100.0);
}

#[test]
fn the_face_is_still_found_in_every_style() {
    // detailed-sketch is checked apart below: it fails today, as issue 18 reports.
    face_found_again(
        Style::ALL
            .into_iter()
            .filter(|s| *s != Style::DetailedSketch),
    );
}

#[test]
#[ignore = "the current detailed-sketch shows no face to the detector (issue 18); its rewrite must pass this"]
fn the_face_is_still_found_in_the_detailed_sketch() {
    face_found_again([Style::DetailedSketch].into_iter());
}

fn face_found_again(styles: impl Iterator<Item = Style>) {
    let photo = astronaut();
    let original = detect_faces(&photo);
    let face = original
        .first()
        .expect("the detector finds the astronaut's face");
    for style in styles {
        let out = stylize(&photo, style, &Params::default());
        let found = detect_faces(&out);
        let near = found.iter().any(|f| {
            let (fx, fy) = (f.x + f.width / 2, f.y + f.height / 2);
            let (ox, oy) = (face.x + face.width / 2, face.y + face.height / 2);
            fx.abs_diff(ox) < face.width / 3 && fy.abs_diff(oy) < face.height / 3
        });
        assert!(
            near,
            "{style}: no face near the original one (found {found:?})"
        );
    }
}

#[test]
fn tiny_and_odd_sized_images_are_styled_without_panicking() {
    for (w, h) in [(1, 1), (2, 3), (3, 2), (7, 1), (1, 9), (17, 5)] {
        let photo = RgbImage::from_fn(w, h, |x, y| Rgb([(x * 40) as u8, (y * 30) as u8, 128]));
        for style in Style::ALL {
            let out = stylize(
                &photo,
                style,
                &Params {
                    intensity: 1.0,
                    seed: 3,
                },
            );
            assert_eq!(out.dimensions(), (w, h), "{style} at {w}x{h}");
        }
    }
}

#[test]
fn extreme_intensities_and_flat_images_stay_in_range() {
    for fill in [0u8, 255] {
        let photo = RgbImage::from_pixel(64, 48, Rgb([fill; 3]));
        for style in Style::ALL {
            for intensity in [0.0, 1.0, f32::NAN, -3.0, 9.0] {
                let out = stylize(&photo, style, &Params { intensity, seed: 0 });
                assert_eq!(out.dimensions(), (64, 48));
            }
        }
    }
}
