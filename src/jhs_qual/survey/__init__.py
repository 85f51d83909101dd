"""Questionnaires beside the interviews: scale files, respondents' answers read and checked."""
