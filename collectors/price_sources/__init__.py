"""Where prices come from: one importer per format, behind `base.PriceSource`."""
