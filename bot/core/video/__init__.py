"""Video generation on the task engine: /video, image to video, first and last frame."""
