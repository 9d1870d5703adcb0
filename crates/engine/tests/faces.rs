//! Face detection, the portrait crop and downscaling (C2), on a real photo and on the sizes
//! that make naive code panic (empty, tiny, a one-pixel strip).
// A failed unwrap in a test is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Instant;

use atelier_engine::{FaceBox, Limits, RgbImage, crop_to_face, decode, detect_faces, fit_max_edge};

/// NASA's portrait of astronaut Eileen Collins (public domain), 512×512, one face.
fn astronaut() -> RgbImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/astronaut.png");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode(&bytes, &Limits::default()).unwrap().image
}

fn upscale(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    image::imageops::resize(image, width, height, image::imageops::FilterType::Triangle)
}

#[test]
fn the_astronaut_has_exactly_one_face_in_the_upper_half() {
    let photo = astronaut();
    let started = Instant::now();
    let faces = detect_faces(&photo);
    eprintln!("detect_faces 512x512: {:?}, {faces:?}", started.elapsed());

    assert_eq!(faces.len(), 1, "{faces:?}");
    let face = faces[0];
    let centre = (face.x + face.width / 2, face.y + face.height / 2);
    assert!(centre.1 < 256, "{face:?}");
    assert!((60..=160).contains(&face.height), "{face:?}");
}

#[test]
fn faces_are_found_at_the_same_place_in_a_larger_copy() {
    let small = detect_faces(&astronaut());
    let big_photo = upscale(&astronaut(), 1448, 1448); // about 2 MP
    let started = Instant::now();
    let big = detect_faces(&big_photo);
    eprintln!("detect_faces 1448x1448: {:?}, {big:?}", started.elapsed());

    assert_eq!(big.len(), 1, "{big:?}");
    let scale = 1448.0 / 512.0;
    let expected_x = f64::from(small[0].x) * scale;
    assert!(
        (f64::from(big[0].x) - expected_x).abs() < 0.1 * 1448.0,
        "{big:?} vs {small:?}"
    );
}

#[test]
fn images_too_small_or_empty_to_search_have_no_faces() {
    for (w, h) in [(0, 0), (0, 100), (10, 10), (39, 500), (1, 5000), (5000, 2)] {
        assert!(detect_faces(&RgbImage::new(w, h)).is_empty(), "{w}x{h}");
    }
}

#[test]
fn a_blank_image_has_no_faces() {
    let grey = RgbImage::from_pixel(300, 200, image::Rgb([128, 128, 128]));
    assert!(detect_faces(&grey).is_empty());
}

#[test]
fn the_portrait_crop_is_four_by_five_and_holds_the_face() {
    let photo = upscale(&astronaut(), 1024, 1024);
    let face = detect_faces(&photo)[0];
    let crop = crop_to_face(&photo, &face);
    let (w, h) = crop.dimensions();
    assert!((f64::from(w) / f64::from(h) - 0.8).abs() < 0.01, "{w}x{h}");
    // The face takes a bit under half of the crop's height.
    let share = f64::from(face.height) / f64::from(h);
    assert!((0.4..=0.5).contains(&share), "{share}");
}

#[test]
fn a_face_at_the_edge_gives_a_crop_that_stays_inside_the_image() {
    let photo = RgbImage::new(300, 200);
    for face in [
        FaceBox {
            x: 0,
            y: 0,
            width: 80,
            height: 80,
            score: 0.9,
        },
        FaceBox {
            x: 250,
            y: 150,
            width: 50,
            height: 50,
            score: 0.9,
        },
        FaceBox {
            x: 100,
            y: 10,
            width: 180,
            height: 180,
            score: 0.9,
        },
        FaceBox {
            x: 9000,
            y: 9000,
            width: 0,
            height: 0,
            score: 0.9,
        },
    ] {
        let (w, h) = crop_to_face(&photo, &face).dimensions();
        assert!(
            w >= 1 && h >= 1 && w <= 300 && h <= 200,
            "{face:?}: {w}x{h}"
        );
    }
}

#[test]
fn fit_max_edge_downscales_the_longer_edge_and_keeps_the_aspect() {
    let wide = RgbImage::new(1000, 500);
    assert_eq!(fit_max_edge(&wide, 200).dimensions(), (200, 100));
    let tall = RgbImage::new(300, 1200);
    assert_eq!(fit_max_edge(&tall, 400).dimensions(), (100, 400));
}

#[test]
fn fit_max_edge_never_upscales_nor_breaks_on_odd_sizes() {
    let small = RgbImage::from_pixel(50, 40, image::Rgb([1, 2, 3]));
    assert_eq!(fit_max_edge(&small, 800), small);
    assert_eq!(fit_max_edge(&RgbImage::new(0, 0), 10).dimensions(), (0, 0));
    assert_eq!(
        fit_max_edge(&RgbImage::new(5000, 1), 100).dimensions(),
        (100, 1)
    );
    assert_eq!(fit_max_edge(&RgbImage::new(30, 20), 0).dimensions(), (1, 1));
}
