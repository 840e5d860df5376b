"""The app's Streamlit page: widgets and layout over the pure functions of :mod:`graphviz_nn.page`.

The only stage that imports Streamlit. ``app.py`` at the top of the repository wires these
modules: :mod:`.guard` (the worker pool and each run's budget), :mod:`.session` (what the page
remembers between runs), :mod:`.layout` (the columns and the page's styles), :mod:`.sidebar`
(examples and display options), :mod:`.expression` and :mod:`.network` (the two kinds of
problem), which draw :mod:`.valuefields`, :mod:`.player`, :mod:`.downloads`, :mod:`.teaching` and
:mod:`.worksheet`.
"""
