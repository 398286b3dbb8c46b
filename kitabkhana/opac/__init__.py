"""The public catalogue: search, results with facets, record pages, downloads and citations."""
