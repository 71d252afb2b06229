"""File import and export of inventory layers."""
