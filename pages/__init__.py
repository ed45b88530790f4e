"""Dashboard pages: UI only. Data comes from `pages.data`, figures from `pages.charts`."""
