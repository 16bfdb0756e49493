"""Staff sign-in to the pages: OpenID Connect with PKCE, signed session cookies."""
