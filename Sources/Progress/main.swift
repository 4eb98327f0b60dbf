print("progress: not yet")
