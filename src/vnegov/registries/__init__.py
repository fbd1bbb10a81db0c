"""Base registries (cơ sở dữ liệu quốc gia): population and enterprises, served through the data exchange."""
