"""What the page scripts in `pages/` share: cached reads (`data`), table text
(`tables`), the Runs page's start button and job list (`actions`), the public-history sections
(`public_sections`), and the figures (`charts`, one module per page)."""
