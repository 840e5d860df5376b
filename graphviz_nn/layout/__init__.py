"""The only place a layout program runs; pinned (steady) steps; PDF from a laid-out drawing."""
