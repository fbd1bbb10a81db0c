"""Access channels (Kênh giao tiếp) — framework component 2: the shared page layout, Vietnamese and
English text, the public home page and the API documentation."""
