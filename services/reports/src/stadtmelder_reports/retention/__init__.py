"""Retention: contact data, photos and staff reads of contact data are kept only for set periods."""
