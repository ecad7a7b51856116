"""The demo app's writers: the bench case generator (``generator``)."""
