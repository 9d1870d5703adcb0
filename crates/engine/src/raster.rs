//! Planar f32 rasters. Placeholder.
