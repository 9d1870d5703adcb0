//! Image filters shared by several styles. Each is a published technique written for planar
//! or interleaved f32 rasters (`crate::raster`).

pub mod directional;
pub mod domain;
pub mod flow;
pub mod noise;
pub mod portrait_masks;
pub mod regions;
pub mod sketch;
