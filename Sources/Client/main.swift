print("client: not yet")
