"""The 19 components of the framework (Decision 2568/QĐ-BTTTT) and the vnegov package for each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FrameworkComponent:
    number: int
    name_vi: str
    name_en: str
    package: str  # the vnegov package that implements it ("" for none yet)


COMPONENTS: tuple[FrameworkComponent, ...] = (
    FrameworkComponent(1, "Người sử dụng", "Users (citizens, businesses, officials, agencies)", "identity"),
    FrameworkComponent(2, "Kênh giao tiếp", "Access channels", "web"),
    FrameworkComponent(
        3, "Hạ tầng Kỹ thuật - Công nghệ", "Technical and technology infrastructure", "kernel"
    ),
    FrameworkComponent(
        4, "An toàn thông tin mạng, an ninh mạng", "Network information security, cyber security", "soc"
    ),
    FrameworkComponent(5, "Chỉ đạo, chính sách", "Direction and policy", "architecture"),
    FrameworkComponent(
        6,
        "Nền tảng tích hợp, chia sẻ dữ liệu quốc gia",
        "National data integration and sharing platform (NDXP)",
        "exchange",
    ),
    FrameworkComponent(
        7,
        "Nền tảng tích hợp, chia sẻ dữ liệu cấp bộ, cấp tỉnh",
        "Ministry- and province-level data integration and sharing platforms (LGSP)",
        "exchange",
    ),
    FrameworkComponent(8, "Cổng Dịch vụ công quốc gia", "National Public Service Portal", "portal"),
    FrameworkComponent(
        9,
        "Hệ thống thông tin chỉ đạo, điều hành của Chính phủ, Thủ tướng Chính phủ",
        "Direction and operations information system of the Government and the Prime Minister",
        "operations",
    ),
    FrameworkComponent(
        10, "Hệ thống thông tin báo cáo Chính phủ", "Government reporting information system", "reporting"
    ),
    FrameworkComponent(
        11,
        "Hệ thống thông tin phục vụ họp và xử lý công việc của Chính phủ",
        "Government meetings and work-processing system (e-Cabinet)",
        "cabinet",
    ),
    FrameworkComponent(
        12,
        "Cổng tham vấn và tra cứu quy định kinh doanh",
        "Business regulation consultation and lookup portal",
        "consultation",
    ),
    FrameworkComponent(
        13,
        "Trung tâm tích hợp dữ liệu phục vụ sự chỉ đạo, điều hành của Chính phủ, Thủ tướng Chính phủ",
        "Data integration centre for the direction and operations of the Government and the Prime Minister",
        "operations",
    ),
    FrameworkComponent(
        14,
        "Hệ thống giám sát, đo lường mức độ cung cấp và sử dụng dịch vụ Chính phủ số",
        "Monitoring and measurement system for digital-government services",
        "monitoring",
    ),
    FrameworkComponent(
        15,
        "Hệ thống danh mục điện tử dùng chung",
        "Shared electronic catalogue (code list) system",
        "catalogs",
    ),
    FrameworkComponent(
        16,
        "Hệ thống thông tin phục vụ giao dịch điện tử",
        "Electronic transaction information system (signatures, time-stamps, verification)",
        "signing",
    ),
    FrameworkComponent(
        17, "Hệ thống SOC Quốc gia", "National SOC (cyberspace security monitoring centre)", "soc"
    ),
    FrameworkComponent(
        18,
        "Các cơ sở dữ liệu, hệ thống thông tin quốc gia",
        "National databases and information systems",
        "registries",
    ),
    FrameworkComponent(
        19,
        "Các cơ sở dữ liệu, hệ thống thông tin khác",
        "Other databases and information systems",
        "registries",
    ),
)

# Packages that are infrastructure rather than a deployable component: present in every build.
ALWAYS_PRESENT = frozenset({"kernel", "web"})
