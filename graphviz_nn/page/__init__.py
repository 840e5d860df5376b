"""The app's pure page functions over one cache: the view, teaching panels, downloads, examples."""
