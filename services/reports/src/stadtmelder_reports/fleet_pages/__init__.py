"""The fleet's web pages: emptying plans and road condition layers, read from the fleet service."""
