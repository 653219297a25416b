[
  inputs: ["{mix,.formatter}.exs", "*.exs", "{config,lib,test}/**/*.{ex,exs}"]
]
