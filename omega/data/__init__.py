"""The data Omega is built on: the merged film catalog (`catalog`, its cast and Oscars
`catalog_people`, twin merging `twins`, TMDB enrichment `tmdb`), its offline sources
(`sources`, and the files vendored under `vendor/`, pinned by `vendored`, rebuilt by
`vendor_build`), and the viewing that stands in for TVs: MovieLens-grounded viewing
(`viewing`), the planted fleet (`fleet`) and the ratings log as deltas (`movielens`)."""
