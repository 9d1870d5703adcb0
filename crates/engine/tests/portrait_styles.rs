//! What anime and clay-3d promise when they know the portrait: the astronaut with the
//! reference analysis (mediapipe's person mask and 468-point mesh, stored beside the photo in
//! tests/data), so the checks run without the networks.

#[path = "../examples/reference/mod.rs"]
mod reference;

use std::path::Path;

use atelier_engine::{FaceRegion, Mask, Params, Portrait, RgbImage, Style, stylize_portrait};

fn astronaut() -> (RgbImage, Portrait) {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"));
    let (photo, portrait) =
        reference::load(dir, "astronaut").expect("the reference analysis loads");
    assert!(
        portrait.faces.first().is_some_and(|f| f.mesh.len() == 468),
        "the reference mesh has 468 points"
    );
    (photo, portrait)
}

fn region(portrait: &Portrait, region: FaceRegion, photo: &RgbImage) -> Mask {
    portrait.faces[0].region_mask(region, photo.width(), photo.height(), 0.0)
}

/// Hue (degrees) and chroma (max − min channel, 0..255) of a pixel.
fn hue_chroma(p: &[u8]) -> (f32, f32) {
    let [r, g, b] = [p[0], p[1], p[2]].map(f32::from);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let c = max - min;
    if c <= 0.0 {
        return (0.0, 0.0);
    }
    let h = if max == r {
        (g - b) / c
    } else if max == g {
        2.0 + (b - r) / c
    } else {
        4.0 + (r - g) / c
    };
    ((h * 60.0).rem_euclid(360.0), c)
}

fn luma(p: &[u8]) -> f32 {
    (0.2126 * f32::from(p[0]) + 0.7152 * f32::from(p[1]) + 0.0722 * f32::from(p[2])) / 255.0
}

/// Pixels (indices) inside the face oval but outside every feature, with a margin.
fn bare_skin(portrait: &Portrait, photo: &RgbImage) -> Vec<usize> {
    let (w, h) = (photo.width(), photo.height());
    let face = &portrait.faces[0];
    let oval = face.region_mask(FaceRegion::Oval, w, h, 0.0);
    let mut features = Mask::filled(w, h, 0.0);
    for r in [
        FaceRegion::RightEye,
        FaceRegion::LeftEye,
        FaceRegion::RightBrow,
        FaceRegion::LeftBrow,
        FaceRegion::Lips,
    ] {
        if let Some(outline) = face.outline(r) {
            features.fill_polygon(&outline, 6.0);
        }
    }
    // Keep away from the outline too: the face contour may be inked.
    let outline = face.outline(FaceRegion::Oval).expect("a mesh");
    // The nose tip and nostrils are drawn on purpose: leave them out as well.
    let face_w = outline.iter().map(|p| p[0]).fold(f32::MIN, f32::max)
        - outline.iter().map(|p| p[0]).fold(f32::MAX, f32::min);
    let tip = face.mesh[2];
    let disc: Vec<[f32; 2]> = (0..16)
        .map(|i| {
            let t = i as f32 * std::f32::consts::TAU / 16.0;
            [
                tip[0] + 0.16 * face_w * t.cos(),
                tip[1] + 0.1 * face_w * t.sin(),
            ]
        })
        .collect();
    features.fill_polygon(&disc, 0.0);
    let n = outline.len() as f32;
    let c = [
        outline.iter().map(|p| p[0]).sum::<f32>() / n,
        outline.iter().map(|p| p[1]).sum::<f32>() / n,
    ];
    let inner: Vec<[f32; 2]> = outline
        .iter()
        .map(|p| [c[0] + (p[0] - c[0]) * 0.8, c[1] + (p[1] - c[1]) * 0.8])
        .collect();
    let mut interior = Mask::filled(w, h, 0.0);
    interior.fill_polygon(&inner, 0.0);
    (0..(w * h) as usize)
        .filter(|&i| oval.data[i] >= 1.0 && interior.data[i] >= 1.0 && features.data[i] <= 0.0)
        .collect()
}

#[test]
fn anime_keeps_the_hue_and_chroma_of_the_skin() {
    let (photo, portrait) = astronaut();
    let out = stylize_portrait(&photo, &portrait, Style::Anime, &Params::default());
    let oval = region(&portrait, FaceRegion::Oval, &photo);
    let (mut shift, mut n) = (0f64, 0f64);
    let (mut chroma_in, mut chroma_out) = (0f64, 0f64);
    for (i, &m) in oval.data.iter().enumerate() {
        if m < 1.0 {
            continue;
        }
        let (a, ca) = hue_chroma(&photo.as_raw()[i * 3..i * 3 + 3]);
        let (b, cb) = hue_chroma(&out.as_raw()[i * 3..i * 3 + 3]);
        chroma_in += f64::from(ca);
        chroma_out += f64::from(cb);
        if ca >= 20.0 && cb >= 20.0 {
            let d = (a - b).abs();
            shift += f64::from(d.min(360.0 - d));
            n += 1.0;
        }
    }
    assert!(n > 2000.0, "too few coloured face pixels ({n})");
    let mean_shift = shift / n;
    let chroma = chroma_out / chroma_in;
    assert!(
        mean_shift <= 8.0,
        "mean hue shift in the face {mean_shift:.1}°"
    );
    assert!(
        (0.85..=1.15).contains(&chroma),
        "face chroma changed by {:+.0}%",
        (chroma - 1.0) * 100.0
    );
}

#[test]
fn anime_inks_no_wrinkles_and_shades_skin_in_few_flat_tones() {
    let (photo, portrait) = astronaut();
    let out = stylize_portrait(&photo, &portrait, Style::Anime, &Params::default());
    let skin = bare_skin(&portrait, &photo);
    assert!(skin.len() > 800, "too little bare skin ({})", skin.len());
    let px = |i: usize| &out.as_raw()[i * 3..i * 3 + 3];
    let inked = skin.iter().filter(|&&i| luma(px(i)) < 0.2).count();
    assert!(
        inked * 100 < skin.len(),
        "{inked} of {} skin pixels are ink-dark",
        skin.len()
    );
    // Cel tones: most skin pixels sit on a few plateaus (neighbours equal to within 2 levels),
    // where the photo's skin is a continuous gradient with texture.
    let w = photo.width() as usize;
    let flat = |img: &RgbImage| {
        skin.iter()
            .filter(|&&i| {
                let a = luma(&img.as_raw()[i * 3..i * 3 + 3]);
                let b = luma(&img.as_raw()[(i + 1) * 3..(i + 1) * 3 + 3]);
                let c = luma(&img.as_raw()[(i + w) * 3..(i + w) * 3 + 3]);
                (a - b).abs() < 2.5 / 255.0 && (a - c).abs() < 2.5 / 255.0
            })
            .count() as f64
            / skin.len() as f64
    };
    let (styled, original) = (flat(&out), flat(&photo));
    assert!(
        styled > 0.8 && styled > original + 0.3,
        "flat skin: {:.0}% styled vs {:.0}% photo",
        styled * 100.0,
        original * 100.0
    );
}

#[test]
fn anime_draws_white_eyes_with_a_dark_iris() {
    let (photo, portrait) = astronaut();
    let out = stylize_portrait(&photo, &portrait, Style::Anime, &Params::default());
    for eye in [FaceRegion::RightEye, FaceRegion::LeftEye] {
        let m = region(&portrait, eye, &photo);
        let l: Vec<f32> = (0..m.data.len())
            .filter(|&i| m.data[i] >= 1.0)
            .map(|i| luma(&out.as_raw()[i * 3..i * 3 + 3]))
            .collect();
        assert!(l.len() > 20, "{eye:?} too small");
        let white = l.iter().filter(|&&v| v > 0.85).count();
        let dark = l.iter().filter(|&&v| v < 0.3).count();
        assert!(
            white * 10 > l.len() && dark * 10 > l.len(),
            "{eye:?}: {white} white and {dark} dark of {}",
            l.len()
        );
    }
}

/// Mean absolute difference between each pixel's luma and its 5×5 neighbourhood's mean, over
/// `pixels`: how much fine detail (texture, grooves) an image has there.
fn fine_detail(img: &RgbImage, pixels: &[usize]) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let l = |x: usize, y: usize| luma(&img.as_raw()[(y * w + x) * 3..(y * w + x) * 3 + 3]);
    let mut sum = 0f64;
    for &i in pixels {
        let (x, y) = (i % w, i / w);
        let mut mean = 0.0;
        for dy in 0..5 {
            for dx in 0..5 {
                mean += l(
                    (x + dx).saturating_sub(2).min(w - 1),
                    (y + dy).saturating_sub(2).min(h - 1),
                );
            }
        }
        sum += f64::from((l(x, y) - mean / 25.0).abs());
    }
    sum / pixels.len().max(1) as f64
}

#[test]
fn clay_has_no_fine_grooves_in_the_face_and_a_plain_backdrop() {
    let (photo, portrait) = astronaut();
    let out = stylize_portrait(&photo, &portrait, Style::Clay3d, &Params::default());
    let skin = bare_skin(&portrait, &photo);
    let (styled, original) = (fine_detail(&out, &skin), fine_detail(&photo, &skin));
    assert!(
        styled < 0.4 * original,
        "face detail {styled:.4} against the photo's {original:.4}"
    );
    let background: Vec<usize> = (0..portrait.person.data.len())
        .filter(|&i| portrait.person.data[i] < 0.05)
        .collect();
    assert!(background.len() > 20_000, "too little background");
    let (styled, original) = (
        fine_detail(&out, &background),
        fine_detail(&photo, &background),
    );
    assert!(
        styled < 0.25 * original,
        "backdrop detail {styled:.4} against the photo's {original:.4}"
    );
}

#[test]
fn clay_eyes_are_not_sunken() {
    let (photo, portrait) = astronaut();
    let out = stylize_portrait(&photo, &portrait, Style::Clay3d, &Params::default());
    let skin = bare_skin(&portrait, &photo);
    let mean = |px: &[usize]| {
        px.iter()
            .map(|&i| f64::from(luma(&out.as_raw()[i * 3..i * 3 + 3])))
            .sum::<f64>()
            / px.len().max(1) as f64
    };
    let skin_l = mean(&skin);
    for eye in [FaceRegion::RightEye, FaceRegion::LeftEye] {
        let m = portrait.faces[0].region_mask(eye, photo.width(), photo.height(), 6.0);
        let px: Vec<usize> = (0..m.data.len()).filter(|&i| m.data[i] > 0.0).collect();
        let eye_l = mean(&px);
        assert!(
            eye_l > 0.7 * skin_l,
            "{eye:?} mean luma {eye_l:.3} against the skin's {skin_l:.3}"
        );
    }
}

#[test]
fn portrait_aware_styles_are_deterministic_on_any_thread_count() {
    let (photo, portrait) = astronaut();
    let params = Params {
        intensity: 0.8,
        seed: 5,
    };
    for style in [Style::Anime, Style::Clay3d] {
        let runs: Vec<RgbImage> = [1, 2, 3]
            .into_iter()
            .map(|n| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .expect("a pool")
                    .install(|| stylize_portrait(&photo, &portrait, style, &params))
            })
            .collect();
        assert!(
            runs[0] == runs[1] && runs[1] == runs[2],
            "{style} differs across thread counts"
        );
    }
}

#[test]
fn intensity_visibly_changes_anime_and_clay() {
    let (photo, portrait) = astronaut();
    for style in [Style::Anime, Style::Clay3d] {
        let low = stylize_portrait(
            &photo,
            &portrait,
            style,
            &Params {
                intensity: 0.0,
                seed: 0,
            },
        );
        let high = stylize_portrait(
            &photo,
            &portrait,
            style,
            &Params {
                intensity: 1.0,
                seed: 0,
            },
        );
        let diff: u64 = low
            .as_raw()
            .iter()
            .zip(high.as_raw())
            .map(|(&a, &b)| u64::from(a.abs_diff(b)))
            .sum();
        let mean = diff as f64 / low.as_raw().len() as f64;
        assert!(
            mean > 4.0,
            "{style}: intensity 0 and 1 differ by {mean:.2} on average"
        );
    }
}

/// The astronaut twice, side by side, with her analysis twice (the right copy shifted by the
/// photo's width): a two-person portrait whose two faces must come out alike.
fn two_astronauts() -> (RgbImage, Portrait) {
    let (photo, portrait) = astronaut();
    let (w, h) = photo.dimensions();
    let mut pair = RgbImage::new(2 * w, h);
    for (x, y, px) in photo.enumerate_pixels() {
        pair.put_pixel(x, y, *px);
        pair.put_pixel(x + w, y, *px);
    }
    let mut right = portrait.faces[0].clone();
    right.bbox.x += w;
    for p in &mut right.keypoints {
        p[0] += w as f32;
    }
    for p in &mut right.mesh {
        p[0] += w as f32;
    }
    let mut person = Mask::filled(2 * w, h, 0.0);
    for y in 0..h as usize {
        let row = &portrait.person.data[y * w as usize..(y + 1) * w as usize];
        let out = &mut person.data[y * 2 * w as usize..(y + 1) * 2 * w as usize];
        out[..w as usize].copy_from_slice(row);
        out[w as usize..].copy_from_slice(row);
    }
    let faces = vec![portrait.faces[0].clone(), right];
    (pair, Portrait { faces, person })
}

#[test]
fn clay_sculpts_every_face_of_a_group_alike() {
    let (pair, portrait) = two_astronauts();
    let out = stylize_portrait(&pair, &portrait, Style::Clay3d, &Params::default());
    let w = pair.width() / 2;
    let oval = portrait.faces[0].region_mask(FaceRegion::Oval, w, pair.height(), 0.0);
    let inside: Vec<usize> = (0..oval.data.len())
        .filter(|&i| oval.data[i] > 0.5)
        .collect();
    // Mean luma difference between the same face pixel in the left and the right copy: the
    // same face sculpted twice is lit the same (the halves differ only where wide blurs
    // reach across the middle); a face left flat reads far lighter or darker.
    let differences = inside.iter().map(|&i| {
        let (x, y) = (i as u32 % w, i as u32 / w);
        let (a, b) = (out.get_pixel(x, y).0, out.get_pixel(x + w, y).0);
        f64::from((luma(&a) - luma(&b)).abs())
    });
    let mean = differences.sum::<f64>() / inside.len().max(1) as f64;
    assert!(
        mean < 0.02,
        "the two faces differ by {mean:.4} in mean luma"
    );
}

#[test]
fn clay_keeps_the_skin_hue_without_pushing_its_chroma() {
    // The clothes' colours are deepened like painted clay; the skin keeps about its own, or
    // faces turn orange and old ones look sunburnt.
    let (photo, portrait) = astronaut();
    let out = stylize_portrait(&photo, &portrait, Style::Clay3d, &Params::default());
    let skin = bare_skin(&portrait, &photo);
    assert!(skin.len() > 2000, "{} skin pixels", skin.len());
    let (mut shift, mut n, mut chroma_in, mut chroma_out) = (0f64, 0f64, 0f64, 0f64);
    for &i in &skin {
        let (a, ca) = hue_chroma(&photo.as_raw()[i * 3..i * 3 + 3]);
        let (b, cb) = hue_chroma(&out.as_raw()[i * 3..i * 3 + 3]);
        chroma_in += f64::from(ca);
        chroma_out += f64::from(cb);
        if ca >= 20.0 && cb >= 20.0 {
            let d = (a - b).abs();
            shift += f64::from(d.min(360.0 - d));
            n += 1.0;
        }
    }
    let (mean_shift, chroma) = (shift / n.max(1.0), chroma_out / chroma_in);
    eprintln!("clay skin: hue shift {mean_shift:.1}°, chroma ×{chroma:.2}");
    assert!(n > 1000.0, "too few coloured skin pixels ({n})");
    assert!(
        mean_shift <= 8.0,
        "mean hue shift on the skin {mean_shift:.1}°"
    );
    assert!(
        (0.75..=1.15).contains(&chroma),
        "skin chroma changed by {:+.0}%",
        (chroma - 1.0) * 100.0
    );
}

#[test]
fn clay_of_a_photo_without_colour_is_warm_grey_clay() {
    // A black-and-white photo becomes warm grey clay, not grey stone: the figure's red stays
    // above its blue.
    let (photo, portrait) = astronaut();
    let grey = RgbImage::from_fn(photo.width(), photo.height(), |x, y| {
        let v = (luma(&photo.get_pixel(x, y).0) * 255.0).round() as u8;
        image::Rgb([v, v, v])
    });
    let out = stylize_portrait(&grey, &portrait, Style::Clay3d, &Params::default());
    let (mut warmth, mut n) = (0f64, 0f64);
    for (p, &m) in out.as_raw().chunks_exact(3).zip(&portrait.person.data) {
        if m >= 0.5 {
            warmth += f64::from(p[0]) - f64::from(p[2]);
            n += 1.0;
        }
    }
    let warmth = warmth / n.max(1.0);
    eprintln!("clay of a grey photo: red − blue {warmth:.1} on the figure");
    assert!(warmth >= 6.0, "red − blue {warmth:.1}");
}

/// Pixels of the person above the brow line and over the face's width widened by a fifth
/// each side: the astronaut's hair.
fn hair(portrait: &Portrait, photo: &RgbImage) -> Vec<usize> {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let face = &portrait.faces[0];
    let outline = face.outline(FaceRegion::Oval).expect("a mesh");
    let x0 = outline.iter().map(|p| p[0]).fold(f32::MAX, f32::min);
    let x1 = outline.iter().map(|p| p[0]).fold(f32::MIN, f32::max);
    let (top, chin) = (face.mesh[10], face.mesh[152]);
    let (fw, fh) = (x1 - x0, chin[1] - top[1]);
    (0..w * h)
        .filter(|&i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            portrait.person.data[i] >= 0.5
                && y < top[1] - 0.05 * fh
                && x > x0 - 0.2 * fw
                && x < x1 + 0.2 * fw
        })
        .collect()
}

/// The spread (standard deviation) over `pixels` of the lightness averaged over 15 × 15
/// pixels: large patches of light and dark, not fine strands.
fn broad_lightness_spread(img: &RgbImage, pixels: &[usize]) -> f64 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let l =
        |x: usize, y: usize| f64::from(luma(&img.as_raw()[(y * w + x) * 3..(y * w + x) * 3 + 3]));
    let means: Vec<f64> = pixels
        .iter()
        .map(|&i| {
            let (x, y) = (i % w, i / w);
            let mut sum = 0.0;
            for dy in 0..15 {
                for dx in 0..15 {
                    sum += l(
                        (x + dx).saturating_sub(7).min(w - 1),
                        (y + dy).saturating_sub(7).min(h - 1),
                    );
                }
            }
            sum / 225.0
        })
        .collect();
    let n = means.len().max(1) as f64;
    let mean = means.iter().sum::<f64>() / n;
    (means.iter().map(|m| (m - mean) * (m - mean)).sum::<f64>() / n).sqrt()
}

#[test]
fn clay_hair_is_one_piece_not_patches_of_the_photos_light_and_dark() {
    // The photo's lit and shadowed locks used to become patches of two flat colours; the hair
    // is now one colour of clay whose form comes from the lighting and sculpted strands.
    let (photo, portrait) = astronaut();
    let out = stylize_portrait(&photo, &portrait, Style::Clay3d, &Params::default());
    let hair = hair(&portrait, &photo);
    assert!(hair.len() > 3000, "{} hair pixels", hair.len());
    let (styled, original) = (
        broad_lightness_spread(&out, &hair),
        broad_lightness_spread(&photo, &hair),
    );
    eprintln!("clay hair: broad lightness spread {styled:.4}, photo {original:.4}");
    assert!(
        styled < 0.65 * original,
        "hair lightness spread {styled:.4} against the photo's {original:.4}"
    );
    // Not one flat colour either: the strands are sculpted into it.
    let (styled, original) = (fine_detail(&out, &hair), fine_detail(&photo, &hair));
    eprintln!("clay hair: fine detail {styled:.4}, photo {original:.4}");
    assert!(
        styled > 0.2 * original,
        "hair detail {styled:.4} against the photo's {original:.4}"
    );
}

#[test]
fn clay_face_is_about_as_light_as_in_the_photo() {
    // Relit by a soft key, the clay face came out darker than the studio-lit photo (light
    // skin turned grey, warm skin copper): the face is exposed back to the photo's lightness.
    let (photo, portrait) = astronaut();
    let out = stylize_portrait(&photo, &portrait, Style::Clay3d, &Params::default());
    let skin = bare_skin(&portrait, &photo);
    let mean = |img: &RgbImage| {
        skin.iter()
            .map(|&i| f64::from(luma(&img.as_raw()[i * 3..i * 3 + 3])))
            .sum::<f64>()
            / skin.len().max(1) as f64
    };
    let (styled, original) = (mean(&out), mean(&photo));
    eprintln!("clay face lightness {styled:.3}, photo {original:.3}");
    assert!(
        (styled / original - 1.0).abs() < 0.07,
        "face lightness {styled:.3} against the photo's {original:.3}"
    );
}
