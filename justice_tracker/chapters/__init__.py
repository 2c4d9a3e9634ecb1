"""One module per book chapter: the notebook calls these and shows what they return."""
