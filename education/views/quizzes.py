"""A quiz lesson: the attempt shown (in its shuffled layout), feedback, and the answers read
from the form."""

from education import content, selectors
from education.models import Enrollment, Lesson, QuizAttempt


def quiz_context(lesson: Lesson, enrollment: Enrollment | None) -> dict:
    if enrollment is None:
        return {}
    attempts = list(QuizAttempt.objects.filter(enrollment=enrollment, lesson=lesson))
    current = next((a for a in attempts if a.submitted_at is None), None)
    quiz = content.quiz(lesson.pk)
    questions = {q.pk: q for q in quiz.questions}
    shown = []
    if current is not None:
        for item in current.layout:
            question = questions.get(item["question"])
            if question is None:
                continue
            choices = {c.pk: c for c in question.choices}
            shown.append(
                {
                    "question": question,
                    "choices": [choices[pk] for pk in item["choices"] if pk in choices],
                }
            )
    last = next((a for a in reversed(attempts) if a.submitted_at is not None), None)
    feedback = selectors.attempt_feedback(last, quiz.questions) if last else []
    return {
        "attempts": attempts,
        "current": current,
        "shown": shown,
        "last": last,
        "feedback": feedback,
        "attempts_left": max(0, lesson.max_attempts - len(attempts)),
    }


def answers_from_post(request, attempt: QuizAttempt) -> dict:
    answers = {}
    questions = {q.pk: q for q in content.quiz(attempt.lesson_id).questions}
    for item in attempt.layout:
        question = questions.get(item["question"])
        if question is None:
            continue
        name = f"q{question.pk}"
        if question.kind == "numeric":
            value = request.POST.get(name, "").strip()
            if value:
                answers[str(question.pk)] = value
        else:
            values = request.POST.getlist(name)
            try:
                chosen = [int(v) for v in values]
            except ValueError:
                chosen = []
            if chosen:
                answers[str(question.pk)] = chosen
    return answers
