"""The demo app's writers: the bench case generator (``generator``, which plans each case with
``generator_plan``)."""
