from rest_framework import serializers

from education import content
from education.models import (
    Certificate,
    Course,
    Enrollment,
    LabChallenge,
    Lesson,
    QuizAttempt,
    University,
)


class UniversitySerializer(serializers.ModelSerializer):
    class Meta:
        model = University
        fields = ["slug", "name", "name_ko", "website"]


class CourseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    university = UniversitySerializer(read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "title",
            "summary",
            "level",
            "language",
            "university",
            "enrollment_policy",
            "is_enrollment_open",
            "capacity",
            "starts_on",
            "ends_on",
            "pass_mark",
            "url",
        ]


class LessonSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    module = serializers.CharField(source="module.title", read_only=True)

    class Meta:
        model = Lesson
        fields = ["id", "module", "title", "kind", "lab_task", "is_required", "max_attempts"]


class CourseDetailSerializer(CourseSerializer):
    lessons = serializers.SerializerMethodField()

    class Meta(CourseSerializer.Meta):
        fields = [*CourseSerializer.Meta.fields, "lessons"]

    def get_lessons(self, course) -> list[dict]:
        lessons = (
            Lesson.objects.filter(module__course=course)
            .select_related("module")
            .order_by("module__position", "position", "pk")
        )
        return LessonSerializer(lessons, many=True).data


class EnrollmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    course = serializers.UUIDField(source="course.public_id", read_only=True)

    class Meta:
        model = Enrollment
        fields = ["id", "course", "status", "created_at", "completed_at"]


class LearningSerializer(serializers.Serializer):
    course = CourseSerializer()
    enrollment = EnrollmentSerializer()
    percent = serializers.IntegerField()
    certificate = serializers.SerializerMethodField()

    def get_certificate(self, row) -> str | None:
        certificate = row["certificate"]
        return str(certificate.public_id) if certificate else None


class AttemptSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    questions = serializers.SerializerMethodField()

    class Meta:
        model = QuizAttempt
        fields = ["id", "number", "score", "submitted_at", "questions"]

    def get_questions(self, attempt) -> list[dict]:
        """The questions in the shuffled order of this attempt, without the answers."""
        questions = {q.pk: q for q in content.quiz(attempt.lesson_id).questions}
        shown = []
        for item in attempt.layout:
            question = questions.get(item["question"])
            if question is None:
                continue
            texts = {c.pk: c.text for c in question.choices}
            entry = {
                "id": question.pk,
                "kind": question.kind,
                "prompt": question.prompt,
                "choices": [{"id": pk, "text": texts[pk]} for pk in item["choices"] if pk in texts],
            }
            if attempt.submitted_at is not None:
                entry["feedback"] = question.feedback
            shown.append(entry)
        return shown


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(), help_text="question id → list of choice ids, or a number"
    )


class LabSerializer(serializers.ModelSerializer):
    sandbox = serializers.CharField(source="sandbox.address", read_only=True)
    contract = serializers.CharField(source="sandbox.contract.address", read_only=True)
    chain_id = serializers.IntegerField(source="sandbox.contract.chain_id", read_only=True)
    task = serializers.CharField(source="lesson.lab_task", read_only=True)

    class Meta:
        model = LabChallenge
        fields = [
            "task",
            "sandbox",
            "contract",
            "chain_id",
            "data",
            "is_passed",
            "passed_at",
            "attempts",
            "failed_attempts",
            "locked_until",
        ]


class LabSubmitSerializer(serializers.Serializer):
    valid = serializers.BooleanField(required=False)
    anchored_at = serializers.IntegerField(required=False, min_value=1)
    proof_root = serializers.RegexField(r"^0x[0-9a-fA-F]{64}$", required=False)
    tx_hash = serializers.RegexField(r"^0x[0-9a-fA-F]{64}$", required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"answer": "give `valid` or `tx_hash`"})
        return attrs


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CertificateSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    course = serializers.UUIDField(source="enrollment.course.public_id", read_only=True)
    credential = serializers.JSONField(source="credential.document", read_only=True)

    class Meta:
        model = Certificate
        fields = ["id", "course", "status", "issued_at", "credential"]
