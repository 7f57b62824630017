"""What to do first: SSVC decisions (`ssvc`) and VEX statements that close matches (`vex`)."""
