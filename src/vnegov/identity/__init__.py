"""Users and identity (người dùng, định danh): an OpenID Connect provider."""
