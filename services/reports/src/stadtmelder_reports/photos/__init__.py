"""Citizens' photos: made safe in worker processes for every entrypoint that takes them."""
