"""The education pages, by responsibility: the catalogue, lessons (with their quizzes and
labs), teaching, the gradebook and certificates. education/urls.py routes to each module."""
