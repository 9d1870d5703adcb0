//! Crop and resize. Placeholder.
use crate::{FaceBox, RgbImage};

pub fn fit_max_edge(image: &RgbImage, _max_edge: u32) -> RgbImage { image.clone() }
pub fn crop_to_face(image: &RgbImage, _face: &FaceBox) -> RgbImage { image.clone() }
